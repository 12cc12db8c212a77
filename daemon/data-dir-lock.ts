import { randomBytes } from 'node:crypto';
import { open, readFile, stat, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Logger } from './log/logger.js';
import type { Service } from './service.js';

/** In the data directory: who holds it, renewed while they do. */
export const LOCK_FILE = 'earshotd.lock';
/**
 * How often the holder renews the lock (its modification time): rarely, as each renewal is
 * a metadata write, and boxes run on SD cards. Only a holder on another host or in another
 * container, gone without a clean stop, waits for it to age.
 */
const RENEW_MS = 30_000;
/** A lock not renewed for this long has no live holder (or one that hangs). */
const STALE_AFTER_MS = 3 * RENEW_MS;

interface LockOwner {
  pid: number;
  host: string;
  /** Tells this holder from a later one with the same pid (another container, a reused pid). */
  nonce: string;
  since: string;
}

/** The data directory is held by another live earshotd. */
export class DataDirInUseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataDirInUseError';
  }
}

export interface DataDirLockOptions {
  dir: string;
  logger: Logger;
  /** Another earshotd took the lock while this one held it: both would write the same queue and outbox. */
  onLost: (reason: string) => void;
  renewMs?: number;
  staleAfterMs?: number;
}

/**
 * One earshotd per data directory. Two on one (a second unit or a test run by hand with
 * another control socket, two containers sharing a volume during a rolling update) would
 * run each job twice and interleave their writes to the queue and the outbox. The control
 * socket's probe does not catch them when the sockets differ.
 *
 * Node has no flock, so the lock is a file made with O_EXCL and renewed every 30 s. Another
 * start takes it over only from a holder that is gone: on this host, one whose pid is not
 * running (a crash: the restart takes over at once); otherwise one that has not renewed it
 * for 90 s (another host or container, a reused pid, a hung process). A holder that finds
 * the file taken over at its next renewal says so and stops, so a double start that slipped
 * through (two takeovers at one instant) lasts at most one renewal.
 */
export class DataDirLock implements Service {
  readonly name = 'data directory';
  private readonly path: string;
  private readonly me: LockOwner = { pid: process.pid, host: hostname(), nonce: randomBytes(8).toString('hex'), since: new Date().toISOString() };
  private timer: NodeJS.Timeout | undefined;
  private held = false;

  constructor(private readonly options: DataDirLockOptions) {
    this.path = join(options.dir, LOCK_FILE);
  }

  async start(): Promise<void> {
    for (let tries = 0; tries < 2 && !this.held; tries++) {
      if (await this.create()) break;
      const holder = await this.inspect();
      if (!holder.gone) throw new DataDirInUseError(`${this.options.dir} is in use by another earshotd (${holder.why}); stop it first, or give this one another dataDir`);
      this.options.logger.warn(`taking over the data directory from an earshotd that is gone (${holder.why})`, { lock: this.path });
      await unlink(this.path).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    }
    if (!this.held) throw new DataDirInUseError(`${this.options.dir} was taken by another earshotd starting at the same moment`);
    this.timer = setInterval(() => void this.renew(), this.options.renewMs ?? RENEW_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (!this.held) return;
    this.held = false;
    // Only our own: a holder that took over meanwhile keeps its lock.
    if ((await this.owner())?.nonce === this.me.nonce) await unlink(this.path).catch(() => undefined);
  }

  state(): { state: string; detail: string } {
    return { state: this.held ? 'held' : 'free', detail: this.path };
  }

  /** Makes the lock file unless one is there; true when it is ours. */
  private async create(): Promise<boolean> {
    let file;
    try {
      file = await open(this.path, 'wx', 0o640);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw new Error(`cannot lock the data directory ${this.options.dir}: ${(err as Error).message}`);
    }
    try {
      await file.writeFile(JSON.stringify(this.me) + '\n');
      await file.sync();
    } finally {
      await file.close();
    }
    this.held = true;
    return true;
  }

  /** Whether the lock's holder is gone, and what says so. */
  private async inspect(): Promise<{ gone: boolean; why: string }> {
    const [owner, info] = await Promise.all([this.owner(), stat(this.path).catch(() => undefined)]);
    if (!info) return { gone: true, why: 'its lock went away' };
    const ageSec = Math.round((Date.now() - info.mtimeMs) / 1000);
    const stale = Date.now() - info.mtimeMs > (this.options.staleAfterMs ?? STALE_AFTER_MS);
    const who = owner ? `pid ${owner.pid}${owner.host === this.me.host ? '' : ` on ${owner.host}`}` : 'an unreadable lock';
    if (owner && owner.host === this.me.host) {
      // Our own pid in another's lock: a container restarted (its daemon is pid 1 each time).
      if (owner.pid === process.pid) return { gone: true, why: `${who} was this process's pid in an earlier life` };
      if (!isRunning(owner.pid)) return { gone: true, why: `${who} is not running` };
    }
    if (stale) return { gone: true, why: `${who}, not renewed for ${ageSec} s` };
    return { gone: false, why: `${who}, lock renewed ${Math.max(0, ageSec)} s ago` };
  }

  private async owner(): Promise<LockOwner | undefined> {
    try {
      const value = JSON.parse(await readFile(this.path, 'utf8')) as Partial<LockOwner>;
      return typeof value.pid === 'number' && typeof value.host === 'string' && typeof value.nonce === 'string' ? (value as LockOwner) : undefined;
    } catch {
      return undefined;
    }
  }

  private async renew(): Promise<void> {
    if (!this.held) return;
    const owner = await this.owner();
    if (owner?.nonce !== this.me.nonce) {
      this.held = false;
      if (this.timer) clearInterval(this.timer);
      const reason = `another earshotd took over the data directory ${this.options.dir} (${owner ? `pid ${owner.pid} on ${owner.host}` : 'its lock is gone'})`;
      this.options.logger.error(`${reason}; stopping, so that one daemon works on it`);
      this.options.onLost(reason);
      return;
    }
    const now = new Date();
    await utimes(this.path, now, now).catch((err: unknown) => this.options.logger.warn('could not renew the data directory lock', { lock: this.path, err }));
  }
}

/** Whether a process with this pid runs (EPERM: it does, as another user). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
