import { generateKeyPairSync } from 'node:crypto';
import { chownSync } from 'node:fs';
import { dirname } from 'node:path';
import { publicKeyText } from './fleet-identity-load.js';
import { fsyncDirSync, writeSyncedFileSync } from '../../scheduler/durable-file.js';

/** Who is to own the key file: the daemon's user, when the command runs as root to make it. */
export interface FileOwner {
  uid: number;
  gid: number;
}

/**
 * Makes a box's Ed25519 key pair for `mqtt.fleet.identity`: the private key goes to `path`
 * (PKCS#8 PEM, mode 600, owned by `owner` when given), never over an existing file (that
 * would lock the box out of its group until every member listed the new key); the public
 * key comes back as members lists it. The file and its folder are synced before the public key
 * is shown: the operator lists that key on every other box next, and a power cut that left
 * this box an empty file then would lock it out of its group just the same.
 */
export function makeFleetKeyPair(path: string, owner?: FileOwner): string {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' });
  writeSyncedFileSync(path, pem, { flag: 'wx', mode: 0o600, ...(owner ? { beforeSync: () => chownSync(path, owner.uid, owner.gid) } : {}) });
  fsyncDirSync(dirname(path));
  return publicKeyText(publicKey);
}
