import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { PAYLOAD_VERSION } from '../payloads/status.js';
import type { CommandPayload, ReplyPayload } from '../payloads/command.js';

/**
 * Remote command signatures: HMAC-SHA256 (RFC 2104) keyed with the shared key over a
 * canonical string, not over the raw JSON, so a client in any language can sign without
 * reproducing our serializer byte for byte. The site and verb are inside the signed string:
 * a command signed for one site or verb is useless on another.
 */
const DOMAIN = 'earshot-cmd-v1';

/**
 * JSON.stringify's form with object keys sorted at every depth (by UTF-16 code units), no
 * whitespace. Other languages must write exactly this; schemas/README.md spells it out.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export function signingString(siteId: string, verb: string, c: Pick<CommandPayload, 'requestId' | 'ts' | 'nonce' | 'params'>): string {
  return [DOMAIN, siteId, verb, c.requestId, String(c.ts), c.nonce, canonicalJson(c.params)].join('\n');
}

/** HMAC-SHA256 of a UTF-8 string, in lower-case hex. */
export function hmacHex(key: Buffer, text: string): string {
  return createHmac('sha256', key).update(text, 'utf8').digest('hex');
}

/** Constant-time comparison, so the time to reject does not leak how much of a guess was right. */
export function sameHex(expectedHex: string, givenHex: string): boolean {
  const expected = Buffer.from(expectedHex, 'hex');
  const given = Buffer.from(givenHex, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function computeSignature(key: Buffer, siteId: string, verb: string, c: Pick<CommandPayload, 'requestId' | 'ts' | 'nonce' | 'params'>): string {
  return hmacHex(key, signingString(siteId, verb, c));
}

export function signatureValid(key: Buffer, siteId: string, verb: string, c: CommandPayload): boolean {
  return sameHex(computeSignature(key, siteId, verb, c), c.sig);
}

function randomId(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

export interface SignOptions {
  now?: number;
  requestId?: string;
  nonce?: string;
}

/** A signed command ready to publish on `earshot/<siteId>/cmd/<verb>`. */
export function signCommand(key: Buffer, siteId: string, verb: string, params: Record<string, unknown>, options: SignOptions = {}): CommandPayload {
  const unsigned = {
    v: PAYLOAD_VERSION,
    requestId: options.requestId ?? randomId(12),
    ts: options.now ?? Date.now(),
    nonce: options.nonce ?? randomId(18),
    params,
  };
  return { ...unsigned, sig: computeSignature(key, siteId, verb, unsigned) };
}

/**
 * Replies are signed with the same key, under their own domain: on a broker where others may
 * publish to `reply/<requestId>` (the topic is in the command, which anyone subscribed to
 * cmd/ sees), a forged answer would otherwise be taken as the site's. The verb is inside, so
 * a reply is only good for the command it answers.
 */
const REPLY_DOMAIN = 'earshot-reply-v1';

/** The string a reply's `sig` is over (its own `sig`, if any, is not part of it). */
export function replySigningString(siteId: string, verb: string, reply: ReplyPayload): string {
  const body = reply.status === 'ok' ? reply.data : reply.error;
  return [REPLY_DOMAIN, siteId, verb, reply.requestId, reply.status, canonicalJson(body)].join('\n');
}

/**
 * The reply as sent, with its `sig`. Signed in the form the caller will parse (a Date in the
 * data is an ISO string there, an undefined field is gone), since that is what it checks.
 */
export function signReply(key: Buffer, siteId: string, verb: string, reply: ReplyPayload): ReplyPayload {
  const wire = JSON.parse(JSON.stringify(reply)) as ReplyPayload;
  return { ...wire, sig: hmacHex(key, replySigningString(siteId, verb, wire)) };
}

/** Whether a reply carries a valid signature: false for an unsigned one too. */
export function replySignatureValid(key: Buffer, siteId: string, verb: string, reply: ReplyPayload): boolean {
  if (typeof reply.sig !== 'string') return false;
  return sameHex(hmacHex(key, replySigningString(siteId, verb, reply)), reply.sig);
}
