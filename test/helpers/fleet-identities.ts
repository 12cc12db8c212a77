import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCommandKey } from '../../daemon/mqtt/commands/command-key.js';
import { makeFleetKeyPair } from '../../daemon/mqtt/fleet/fleet-keygen.js';
import { loadFleetIdentity } from '../../daemon/mqtt/fleet/fleet-identity-load.js';
import type { FleetIdentity } from '../../daemon/mqtt/fleet/fleet-identity.js';
import { tempDir } from './paths.js';

export interface BoxKey {
  siteId: string;
  /** Its private key file, as `earshot fleet keygen` writes it. */
  keyFile: string;
  /** Its public key as members lists it. */
  publicKey: string;
}

/** A key pair of its own for each site, made the way `earshot fleet keygen` makes them. */
export function boxKeys<S extends string>(...sites: S[]): Record<S, BoxKey> {
  const dir = tempDir('earshot-fleet-identities-');
  return Object.fromEntries(sites.map((siteId) => {
    const keyFile = join(dir, `${siteId}.pem`);
    return [siteId, { siteId, keyFile, publicKey: makeFleetKeyPair(keyFile) }];
  })) as unknown as Record<S, BoxKey>;
}

/** `mqtt.fleet.identity` of `box` in a group listing `members`. */
export function identityConfig(box: BoxKey, members: BoxKey[]) {
  return { keyFile: box.keyFile, members: Object.fromEntries(members.map((m) => [m.siteId, m.publicKey])) };
}

/** The identity `box` signs with, in a group listing `members` (a test client's, to sign as that box). */
export function identityOf(box: BoxKey, members: BoxKey[] = []): FleetIdentity {
  return loadFleetIdentity(identityConfig(box, members), box.siteId);
}

/** A fresh group key file in `dir` (mode 600), and the key as a box reads it. */
export function groupKeyIn(dir: string): { keyFile: string; key: Buffer } {
  const keyFile = join(dir, 'fleet.key');
  writeFileSync(keyFile, randomBytes(36).toString('base64'), { mode: 0o600 });
  return { keyFile, key: loadCommandKey(keyFile, { setting: 'test' }) };
}
