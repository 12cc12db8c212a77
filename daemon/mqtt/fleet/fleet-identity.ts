import { sign, verify, type KeyObject } from 'node:crypto';
import { canonicalJson } from '../commands/signature.js';
import type { PayloadSchemaName } from '../payload-schemas.js';

/**
 * Per-box identities in a fleet group (`mqtt.fleet.identity`): each box signs its fleet
 * messages with its own Ed25519 key, and reads a message only when it is signed by the key
 * listed for the box it says it comes from. A box holding the group's shared HMAC key can
 * speak for every other; with identities it can speak only for itself, and taking it out of
 * the members list on the other boxes shuts it out (revocation).
 *
 * The domain differs from the HMAC scheme's, and the signer's site id is part of what is
 * signed, so neither a shared-key signature nor one box's message can pass for another's.
 */
const DOMAIN = 'earshot-fleet-ed25519-v1';

type IdentitySchema = Extract<PayloadSchemaName, 'job' | 'job-claim' | 'job-grant' | 'job-done' | 'status'>;

export interface FleetIdentity {
  /** This box: it signs as this site. */
  siteId: string;
  privateKey: KeyObject;
  /** The group's boxes by site id (this one included): a message from any other is refused. */
  members: ReadonlyMap<string, KeyObject>;
}

function identitySigningString(group: string, schema: IdentitySchema, signer: string, payload: Record<string, unknown>): string {
  const { sig: _sig, idSig: _idSig, ...signed } = payload;
  return [DOMAIN, group, schema, signer, canonicalJson(signed)].join('\n');
}

/**
 * The box a message says it comes from: the offerer of an offer, the claimant of a claim, the
 * taker of a result, the site of a status. A grant names no sender: only the offerer of the
 * job may grant it, which only the box that claimed it knows (see FleetWorker).
 */
export function fleetSender(schema: IdentitySchema, payload: Record<string, unknown>): string | undefined {
  const field = { job: 'offeredBy', 'job-claim': 'takenBy', 'job-done': 'takenBy', status: 'siteId', 'job-grant': undefined }[schema];
  const sender = field === undefined ? undefined : payload[field];
  return typeof sender === 'string' ? sender : undefined;
}

/** This box's Ed25519 signature of `payload` as a `schema` message of `group`, lowercase hex. */
export function identitySignature(identity: FleetIdentity, group: string, schema: IdentitySchema, payload: Record<string, unknown>): string {
  return sign(null, Buffer.from(identitySigningString(group, schema, identity.siteId, payload), 'utf8'), identity.privateKey).toString('hex');
}

/** Why `payload` is not a `schema` message of `group` signed by `sender`'s listed key; null when it is. */
export function identityProblem(identity: FleetIdentity, group: string, schema: IdentitySchema, sender: string | undefined, payload: Record<string, unknown>): string | null {
  if (sender === undefined) return 'from no box this one expects it from';
  if (typeof payload.idSig !== 'string') return `not signed by ${sender}'s own key (no idSig: the sender has no mqtt.fleet.identity, and this group lists its members)`;
  const key = identity.members.get(sender);
  if (!key) return `from ${sender}, which is not a member of this group (not in mqtt.fleet.identity.members here: never added, or revoked)`;
  const ok = verify(null, Buffer.from(identitySigningString(group, schema, sender, payload), 'utf8'), key, Buffer.from(payload.idSig, 'hex'));
  return ok ? null : `signature does not match the key listed for ${sender} (another box's key, or changed on the way)`;
}
