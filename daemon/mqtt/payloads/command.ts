import { PAYLOAD_VERSION } from './status.js';
import type { ControlErrorCode } from '../../control/protocol.js';

/**
 * `earshot/<siteId>/cmd/<verb>`: a signed remote command. `sig` is HMAC-SHA256 (hex) over
 * the canonical signing string of the other fields (see commands/signature.ts), so that a
 * proxy re-serializing the JSON does not break it.
 */
export interface CommandPayload {
  v: typeof PAYLOAD_VERSION;
  /** Where the reply goes: `earshot/<siteId>/reply/<requestId>`. */
  requestId: string;
  /** Milliseconds since the Unix epoch when the command was signed. */
  ts: number;
  /** Random, never reused; a second command with the same nonce is a replay. */
  nonce: string;
  params: Record<string, unknown>;
  sig: string;
}

/**
 * `earshot/<siteId>/reply/<requestId>`: one envelope for every answer. `sig`: HMAC-SHA256
 * (hex) with the command key (commands/signature.ts signReply); sent by every release that
 * signs replies, absent from older ones.
 */
export type ReplyPayload =
  | { v: typeof PAYLOAD_VERSION; requestId: string; status: 'ok'; data: unknown; sig?: string }
  | { v: typeof PAYLOAD_VERSION; requestId: string; status: 'error'; error: { code: ControlErrorCode; message: string }; sig?: string };
