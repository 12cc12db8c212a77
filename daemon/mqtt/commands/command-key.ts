import { readFileSync, statSync } from 'node:fs';
import { ConfigFileError } from '../../config/errors.js';

/** Shorter keys are guessable offline from one captured command. */
export const MIN_KEY_BYTES = 32;

export interface LoadKeyOptions {
  checkOwner?: boolean;
  /** The config key that named the file, for the error messages. */
  setting?: string;
}

/**
 * Reads a shared HMAC key (remote commands, fleet messages). The file must belong to the
 * user running the daemon and be unreadable by group and others: anyone who can read the key
 * can command, or speak for, every box that shares it. Surrounding whitespace (a trailing
 * newline) is not part of the key.
 */
export function loadCommandKey(path: string, options: LoadKeyOptions = {}): Buffer {
  const setting = options.setting ?? 'mqtt.commands.keyFile';
  checkSecretFile(path, setting, `head -c 48 /dev/urandom | base64 > ${path} && chmod 600 ${path}`, options.checkOwner);
  const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'utf8');
  if (key.length < MIN_KEY_BYTES) {
    throw new ConfigFileError(`${setting} ${path} holds ${key.length} bytes; use at least ${MIN_KEY_BYTES} (e.g. head -c 48 /dev/urandom | base64)`);
  }
  return key;
}

/**
 * Refuses a secret's file (a shared key, a box's private key) that is missing, not a regular
 * file, readable by group or others, or not the daemon user's: `create` is the command that
 * makes a proper one.
 */
export function checkSecretFile(path: string, setting: string, create: string, checkOwner = true): void {
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    throw new ConfigFileError(`${setting} ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : (err as Error).message}; create it with: ${create}`);
  }
  if (!st.isFile()) throw new ConfigFileError(`${setting} ${path} is not a regular file`);
  if ((st.mode & 0o077) !== 0) {
    throw new ConfigFileError(`${setting} ${path} is readable by others (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}); run: chmod 600 ${path}`);
  }
  const uid = process.getuid?.();
  if (checkOwner && uid !== undefined && st.uid !== uid) {
    throw new ConfigFileError(`${setting} ${path} belongs to uid ${st.uid}, not to the daemon's user (uid ${uid}); run: chown $(id -un) ${path}`);
  }
}
