import { createHash, pbkdf2, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { ConfigFileError } from '../../config/errors.js';

const pbkdf2Async = promisify(pbkdf2);

/**
 * Users of the embedded broker, from a password file in Mosquitto's format, so deployers
 * make and change it with the `mosquitto_passwd` they already know (Debian's mosquitto
 * package). One `user:hash` per line, where hash is
 *
 *   $7$<iterations>$<salt, base64>$<hash, base64>   PBKDF2-HMAC-SHA512 (mosquitto 2.x default)
 *   $6$<salt, base64>$<hash, base64>                SHA-512 of password then salt (`-H sha512`)
 *
 * Lines that are empty or start with # are skipped. Plain-text passwords are refused: the
 * file is meant to be hashed.
 */
type Entry = { kind: 'pbkdf2'; iterations: number; salt: Buffer; hash: Buffer } | { kind: 'sha512'; salt: Buffer; hash: Buffer };

/** More would let a bad file stall every connect; mosquitto's default is 101. */
const MAX_ITERATIONS = 1_000_000;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export class PasswordFile {
  /** Checked for unknown users: the file's costliest entry, so time does not tell who exists. */
  private readonly decoy: Entry;

  private constructor(
    readonly path: string,
    private readonly users: Map<string, Entry>,
  ) {
    let decoy: Entry = { kind: 'sha512', salt: Buffer.alloc(12), hash: Buffer.alloc(64) };
    for (const e of users.values()) if (e.kind === 'pbkdf2' && (decoy.kind !== 'pbkdf2' || e.iterations > decoy.iterations)) decoy = { ...e, hash: Buffer.alloc(e.hash.length) };
    this.decoy = decoy;
  }

  /** Reads and checks the whole file; throws naming the file and line of the first problem. */
  static load(path: string): PasswordFile {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new ConfigFileError(`mqtt.embedded.passwordFile ${path}: cannot read it: ${(err as Error).message}`);
    }
    const users = new Map<string, Entry>();
    text.split(/\r?\n/).forEach((raw, i) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      const where = `${path}:${i + 1}`;
      const colon = line.indexOf(':');
      if (colon <= 0) throw new ConfigFileError(`${where}: expected user:hash as mosquitto_passwd writes it`);
      const user = line.slice(0, colon);
      if (users.has(user)) throw new ConfigFileError(`${where}: user "${user}" is listed twice`);
      users.set(user, parseHash(line.slice(colon + 1), where));
    });
    return new PasswordFile(path, users);
  }

  get size(): number {
    return this.users.size;
  }

  /** Whether `password` is this user's; an unknown user costs as much as the costliest known one. */
  async verify(user: string, password: Buffer): Promise<boolean> {
    const entry = this.users.get(user) ?? this.decoy;
    const computed = entry.kind === 'pbkdf2' ? await pbkdf2Async(password, entry.salt, entry.iterations, entry.hash.length, 'sha512') : createHash('sha512').update(password).update(entry.salt).digest();
    return computed.length === entry.hash.length && timingSafeEqual(computed, entry.hash) && this.users.has(user);
  }
}

function parseHash(text: string, where: string): Entry {
  const parts = text.split('$');
  const b64 = (s: string | undefined, what: string): Buffer => {
    if (!s || !BASE64.test(s)) throw new ConfigFileError(`${where}: the ${what} is not base64`);
    return Buffer.from(s, 'base64');
  };
  if (parts[0] !== '' || (parts[1] !== '6' && parts[1] !== '7')) {
    throw new ConfigFileError(`${where}: not a hashed password; make the file with mosquitto_passwd (plain-text passwords are not accepted)`);
  }
  if (parts[1] === '6') {
    if (parts.length !== 4) throw new ConfigFileError(`${where}: a $6$ hash has the form $6$salt$hash`);
    return { kind: 'sha512', salt: b64(parts[2], 'salt'), hash: b64(parts[3], 'hash') };
  }
  if (parts.length !== 5) throw new ConfigFileError(`${where}: a $7$ hash has the form $7$iterations$salt$hash`);
  const iterations = Number(parts[2]);
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS) throw new ConfigFileError(`${where}: iterations must be a whole number from 1 to ${MAX_ITERATIONS}`);
  const salt = b64(parts[3], 'salt');
  const hash = b64(parts[4], 'hash');
  if (hash.length < 16) throw new ConfigFileError(`${where}: the hash is too short`);
  return { kind: 'pbkdf2', iterations, salt, hash };
}
