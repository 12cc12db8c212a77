import { randomBytes } from 'node:crypto';
import { canonicalJson, hmacHex, sameHex } from '../../mqtt/commands/signature.js';
import { ReplayGuard } from '../../mqtt/commands/replay-guard.js';
import { payloadErrors } from '../../mqtt/payload-schemas.js';
import { MAX_CLOCK_SKEW_MS } from './reading-time.js';

/**
 * Carbon readings signed with the site's key (`scheduler.carbon.mqttKeyFile`): HMAC-SHA256
 * over a canonical string with its own domain and the topic in it, so neither a signed
 * command or fleet message nor a reading signed for another topic (another site's grid)
 * passes as one here. Every field but `sig` is signed (sorted-key JSON, as fleet messages),
 * `ts` and `nonce` with them, so a reading cannot be changed on the way or replayed.
 */
const DOMAIN = 'earshot-carbon-v1';

/** What a publisher signs: the reading as the unsigned form carries it. */
export interface CarbonReadingFields {
  gPerKWh?: number;
  at?: string;
  forecast?: unknown[];
}

export type SignedCarbonReading = CarbonReadingFields & { ts: number; nonce: string; sig: string };

function carbonSigningString(topic: string, message: Record<string, unknown>): string {
  const { sig: _sig, ...signed } = message;
  return [DOMAIN, topic, canonicalJson(signed)].join('\n');
}

/** `reading` as it goes on `topic`, signed with `key`. */
export function signCarbonReading(key: Buffer, topic: string, reading: CarbonReadingFields, options: { now?: number; nonce?: string } = {}): SignedCarbonReading {
  const unsigned = { ...reading, ts: options.now ?? Date.now(), nonce: options.nonce ?? randomBytes(18).toString('base64url') };
  return { ...unsigned, sig: hmacHex(key, carbonSigningString(topic, unsigned)) };
}

/** A message that passed: its reading, and when it was signed (the reading's time without `at`). */
export interface OpenedReading {
  reading: CarbonReadingFields;
  signedAtMs: number;
}

/**
 * Checks the signed readings on one topic: shape, signature, then time and nonce, in that
 * order, so that unsigned noise never reaches the replay memory. A reading is taken only
 * while younger than `maxAgeMs` (an older one would be stale on arrival) and at most
 * MAX_CLOCK_SKEW_MS ahead of this box's clock.
 */
export class SignedReadings {
  /**
   * Readings signed before the daemon started are taken (a retained one is how a restarted
   * box learns the intensity): a replay after a restart is a genuine reading, within its age,
   * carrying its own time, and never replaces a newer one.
   */
  private readonly guard: ReplayGuard;
  /**
   * The nonce of the last message let through: the broker sends a retained one again at each
   * reconnect, however old by then (before the age check, so it is not refused as too old).
   */
  private lastNonce: string | undefined;

  constructor(
    private readonly key: Buffer,
    private readonly topic: string,
    private readonly maxAgeMs: number,
  ) {
    // Its window spans every reading open() lets through, up to MAX_CLOCK_SKEW_MS ahead: with
    // maxAgeMs alone, one signed 1 to 5 min ahead on a box whose values age in 1 min was refused as old.
    this.guard = new ReplayGuard(maxAgeMs + MAX_CLOCK_SKEW_MS, 0);
  }

  /** The reading in `body` (parsed JSON) if it is signed for this topic and fresh; else why not, or that it was let through before. */
  open(body: unknown, nowMs: number): OpenedReading | { problem: string } | { redelivered: true } {
    if (typeof body !== 'object' || body === null || Array.isArray(body) || !('sig' in body)) {
      return { problem: 'not signed (scheduler.carbon.mqttKeyFile is set: only readings with ts, nonce and sig are taken; see schemas/README.md)' };
    }
    const errors = payloadErrors('carbon-reading', body);
    if (errors.length > 0) return { problem: `does not match schemas/carbon-reading.schema.json: ${errors.slice(0, 3).join('; ')}` };
    const message = body as SignedCarbonReading;
    // payloadErrors refused any nesting deep enough to exhaust the stack here (`forecast` is open).
    if (!sameHex(hmacHex(this.key, carbonSigningString(this.topic, message as unknown as Record<string, unknown>)), message.sig)) {
      return { problem: `signature does not match (another key, signed for another topic than ${this.topic}, or changed on the way)` };
    }
    if (message.nonce === this.lastNonce) return { redelivered: true };
    const signed = new Date(message.ts).toISOString();
    if (message.ts - nowMs > MAX_CLOCK_SKEW_MS) {
      return { problem: `signed at ${signed}, ${Math.round((message.ts - nowMs) / 60_000)} min ahead of this box's clock (more than ${MAX_CLOCK_SKEW_MS / 60_000} min): fix the publisher's clock (NTP)` };
    }
    if (nowMs - message.ts > this.maxAgeMs) return { problem: `signed at ${signed}, more than ${Math.round(this.maxAgeMs / 60_000)} min ago (scheduler.carbon.maxAgeMinutes): too old to take` };
    // A reading taken before, sent again: by the broker (a retained one at each reconnect, with
    // others taken since) or by someone replaying it. Either way it was taken once, with its own
    // time, and taking it again would change nothing newer: it is let go quietly, not warned
    // about as an attack on every reconnect.
    if (this.guard.check(message.ts, message.nonce, nowMs) !== 'ok') return { redelivered: true };
    this.lastNonce = message.nonce;
    const { ts: _ts, nonce: _nonce, sig: _sig, ...reading } = message;
    return { reading, signedAtMs: message.ts };
  }
}
