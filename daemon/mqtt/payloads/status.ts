import { randomBytes } from 'node:crypto';

/** Version of every payload shape in this folder; bump with a schema change subscribers must notice. */
export const PAYLOAD_VERSION = 1 as const;

export type SiteState = 'online' | 'offline';

/** `earshot/<siteId>/status`, retained; the broker publishes the `offline` form as our last will. */
export interface StatusPayload {
  v: typeof PAYLOAD_VERSION;
  state: SiteState;
  siteId: string;
  /** earshotd version. */
  version: string;
  /** MQTT client id, so an operator can match the status to broker logs. */
  clientId: string;
  /** When the daemon started, ISO 8601; absent in the last will (it is built before connecting). */
  startedAt?: string;
  /** When this message was built, ISO 8601. */
  ts: string;
  /** Why we went offline, when we know (`shutdown`, `connection lost`). */
  reason?: string;
  /**
   * A random id of one connection to the broker: its `online` and its last will carry the
   * same one, so an `offline` is known to be about that connection and not an earlier one.
   */
  presence?: string;
  /** HMAC of the fleet group's key, when the box belongs to a group that signs (schemas/README.md). */
  sig?: string;
}

export interface StatusInput {
  siteId: string;
  version: string;
  clientId: string;
  startedAt?: Date;
  reason?: string;
  presence?: string;
  now?: Date;
}

export function buildStatus(state: SiteState, input: StatusInput): StatusPayload {
  const payload: StatusPayload = {
    v: PAYLOAD_VERSION,
    state,
    siteId: input.siteId,
    version: input.version,
    clientId: input.clientId,
    ts: (input.now ?? new Date()).toISOString(),
  };
  if (input.startedAt) payload.startedAt = input.startedAt.toISOString();
  if (input.reason) payload.reason = input.reason;
  if (input.presence) payload.presence = input.presence;
  return payload;
}

/** Presences carry their sequence as 9 base-36 digits: milliseconds until the year 5138. */
export const MAX_PRESENCE_SEQUENCE = 36 ** 9 - 1;

/**
 * A fresh presence id: 128 random bits, hex, after the connection's place in the box's
 * sequence when it has one (9 base-36 digits and a dash: "0mie2k1x0-…"). Older offerers
 * compare presences only for equality; newer ones order a box's onlines by the sequence.
 */
export function newPresence(sequence?: number): string {
  const random = randomBytes(16).toString('hex');
  return sequence === undefined ? random : `${sequence.toString(36).padStart(9, '0')}-${random}`;
}

/** The sequence number a presence carries, if it carries one. */
export function presenceSequence(presence: string | undefined): number | undefined {
  const match = presence === undefined ? null : /^([0-9a-z]{9})-[0-9a-f]{32}$/.exec(presence);
  return match ? parseInt(match[1]!, 36) : undefined;
}
