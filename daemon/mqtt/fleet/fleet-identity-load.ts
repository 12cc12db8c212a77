import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { ConfigFileError } from '../../config/errors.js';
import { checkSecretFile } from '../commands/command-key.js';
import type { FleetIdentity } from './fleet-identity.js';

export interface FleetIdentityConfig {
  /** This box's Ed25519 private key (PKCS#8 PEM), made by `earshot fleet keygen`; null only when unset (refused). */
  keyFile: string | null;
  /** The group's boxes by site id: a public key as base64 (DER SPKI), or the absolute path of its PEM file. */
  members: Record<string, string>;
}

const SETTING = 'mqtt.fleet.identity';

/** The public key as `earshot fleet keygen` prints it and members lists it: base64 of its DER SPKI. */
export function publicKeyText(key: KeyObject): string {
  return key.export({ type: 'spki', format: 'der' }).toString('base64');
}

function readPrivateKey(path: string): KeyObject {
  checkSecretFile(path, `${SETTING}.keyFile`, `earshot fleet keygen --out ${path}`);
  let key: KeyObject;
  try {
    key = createPrivateKey(readFileSync(path));
  } catch (err) {
    throw new ConfigFileError(`${SETTING}.keyFile ${path} is not a private key in PEM (${(err as Error).message}); make one with: earshot fleet keygen --out ${path}`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new ConfigFileError(`${SETTING}.keyFile ${path} holds an ${key.asymmetricKeyType ?? 'unknown'} key, not Ed25519; make one with: earshot fleet keygen --out ${path}`);
  return key;
}

function readMemberKey(siteId: string, value: string): KeyObject {
  const where = `${SETTING}.members.${siteId}`;
  let key: KeyObject;
  try {
    key = isAbsolute(value) ? createPublicKey(readFileSync(value)) : createPublicKey({ key: Buffer.from(value, 'base64'), format: 'der', type: 'spki' });
  } catch (err) {
    throw new ConfigFileError(`${where}: not a public key (${(err as Error).message}); give the base64 that earshot fleet keygen printed on that box, or the absolute path of a PEM file`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new ConfigFileError(`${where}: an ${key.asymmetricKeyType ?? 'unknown'} key, not Ed25519; give the key earshot fleet keygen printed on that box`);
  return key;
}

/**
 * This box's identity in its fleet group from the config: its private key, checked like the
 * other key files, and every member's public key. This box is a member by its own key; a
 * different key listed under its site id is a config error (its messages would be refused).
 */
export function loadFleetIdentity(config: FleetIdentityConfig, siteId: string): FleetIdentity {
  if (config.keyFile === null) throw new ConfigFileError(`${SETTING}.keyFile is null; make this box's key with: earshot fleet keygen --out FILE, and name FILE there`);
  const privateKey = readPrivateKey(config.keyFile);
  const own = createPublicKey(privateKey);
  const members = new Map<string, KeyObject>();
  for (const [site, value] of Object.entries(config.members)) members.set(site, readMemberKey(site, value));
  const listed = members.get(siteId);
  if (listed && !listed.equals(own)) {
    throw new ConfigFileError(`${SETTING}.members.${siteId} (this box) is not the public key of ${SETTING}.keyFile ${config.keyFile}; list this box as ${publicKeyText(own)}`);
  }
  members.set(siteId, own);
  return { siteId, privateKey, members };
}
