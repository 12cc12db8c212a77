import { canonicalJson, hmacHex, sameHex } from '../commands/signature.js';
import { readPayload, type PayloadSchemaName } from '../payload-schemas.js';
import { fleetSender, identityProblem, identitySignature, type FleetIdentity } from './fleet-identity.js';

/**
 * Fleet messages signed with the group's shared key (`mqtt.fleet.keyFile`): HMAC-SHA256 over
 * a canonical string that names the group and the kind of message, so a claim cannot be
 * replayed as a result, nor a message of one group in another. Without the key, a client
 * allowed on the group's topics could forge a grant and take a job, or a result and have
 * its text published as the transcript.
 *
 * The signature covers every field (sorted-key JSON, `sig` left out), so a box's site id,
 * the job id and the attempt cannot be changed on the way. A signed message replayed later
 * is bound to its job and attempt: the offerer grants each attempt once and takes a result
 * only for an attempt it granted to that box.
 */
const DOMAIN = 'earshot-fleet-v1';

/** The fleet message kinds, by the schema each is checked against. */
export type FleetSchema = Extract<PayloadSchemaName, 'job' | 'job-claim' | 'job-grant' | 'job-done' | 'status'>;

function fleetSigningString(group: string, schema: FleetSchema, payload: Record<string, unknown>): string {
  const { sig: _sig, ...signed } = payload;
  return [DOMAIN, group, schema, canonicalJson(signed)].join('\n');
}

/** The group's key, or null when the group does not sign its messages. */
export interface FleetKey {
  group: string;
  key: Buffer | null;
  /** This box's own key and the members' (`mqtt.fleet.identity`); absent = any holder of the group key is trusted. */
  identity?: FleetIdentity | null;
  /**
   * This box's `mqtt.fleet.maxAudioBytes`: messages bigger than any it could act on are
   * refused by their length, before they are parsed (see fleetMessageLimit). Absent = no bound.
   */
  maxAudioBytes?: number;
}

/** A member's FleetKey from its options: no key means an unsigned group, no maxAudioBytes no size bound. */
export function fleetKeyOf(o: { group: string; key?: Buffer | null; identity?: FleetIdentity | null; maxAudioBytes?: number }): FleetKey {
  return { group: o.group, key: o.key ?? null, identity: o.identity ?? null, ...(o.maxAudioBytes !== undefined ? { maxAudioBytes: o.maxAudioBytes } : {}) };
}

/** Room for a message's own fields around the audio (an offer) or the transcripts (a result). */
const ENVELOPE_BYTES = 64 * 1024;

/**
 * The most bytes a fleet message of `schema` may have to be read here. Parsing, checking and
 * hashing a message costs several times its size in memory, and anyone allowed on the group's
 * topics can send one as big as the broker takes (Mosquitto: 256 MB): one such message grew
 * a daemon by 850 MB before its signature was even checked. An offer carries at most
 * maxAudioBytes of audio as base64, and a result the transcripts of it, far less; claims,
 * grants and statuses are a few hundred bytes.
 */
export function fleetMessageLimit(schema: FleetSchema, maxAudioBytes: number): number {
  return schema === 'job' || schema === 'job-done' ? Math.ceil(maxAudioBytes / 3) * 4 + ENVELOPE_BYTES : ENVELOPE_BYTES;
}

/**
 * `payload` as it goes on the wire: with `idSig` when this box has an identity, and then `sig`
 * (over the message, `idSig` included) when the group has a key.
 */
export function sealFleetMessage<T extends object>(fleet: FleetKey, schema: FleetSchema, payload: T): T & { sig?: string; idSig?: string } {
  const signed = fleet.identity ? { ...payload, idSig: identitySignature(fleet.identity, fleet.group, schema, payload as Record<string, unknown>) } : payload;
  if (!fleet.key) return signed;
  return { ...signed, sig: hmacHex(fleet.key, fleetSigningString(fleet.group, schema, signed as Record<string, unknown>)) };
}

/**
 * Why a message was not read; `otherScheme`: well signed for a group without identities, where
 * this box has one, with the message as read (its schema checked), to be passed on.
 */
export interface FleetReadProblem<T = unknown> {
  problem: string;
  otherScheme?: { value: T };
}

/**
 * A received fleet message as its schema says, signed with the group's key when there is
 * one, and by its sender's own listed key when this box has an identity; otherwise why not.
 * Anyone allowed on the group's topics can send anything there. The sender is the one the
 * message names (fleetSender), or `sender` for a grant, which names none.
 */
export function readFleetMessage<T>(fleet: FleetKey, schema: FleetSchema, raw: Buffer, sender?: (payload: T) => string | undefined): { value: T } | FleetReadProblem<T> {
  if (fleet.maxAudioBytes !== undefined) {
    const limit = fleetMessageLimit(schema, fleet.maxAudioBytes);
    if (raw.length > limit) return { problem: `${raw.length} bytes, over the ${limit} a ${schema} message may have here (it follows mqtt.fleet.maxAudioBytes, ${fleet.maxAudioBytes}); not read` };
  }
  const read = readPayload<T>(schema, raw);
  if ('problem' in read) return read;
  if (!fleet.key) return checkIdentity(fleet, schema, read, sender);
  const payload = read.value as Record<string, unknown>;
  if (typeof payload.sig !== 'string') return { problem: 'not signed (this group signs its messages: mqtt.fleet.keyFile)' };
  // readPayload refused any nesting deep enough to exhaust the stack here (`job` is open).
  const expected = hmacHex(fleet.key, fleetSigningString(fleet.group, schema, payload));
  if (!sameHex(expected, payload.sig)) return { problem: 'signature does not match (another key, another group, or changed on the way)' };
  return checkIdentity(fleet, schema, read, sender);
}

function checkIdentity<T>(fleet: FleetKey, schema: FleetSchema, read: { value: T }, sender?: (payload: T) => string | undefined): { value: T } | FleetReadProblem<T> {
  if (!fleet.identity) return read;
  const payload = read.value as Record<string, unknown>;
  const problem = identityProblem(fleet.identity, fleet.group, schema, sender ? sender(read.value) : fleetSender(schema, payload), payload);
  if (problem === null) return read;
  return typeof payload.idSig === 'string' ? { problem } : { problem, otherScheme: read };
}
