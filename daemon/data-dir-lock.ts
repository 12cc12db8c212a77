import { randomBytes } from 'node:crypto';
import { readFileSync, readlinkSync, type Stats } from 'node:fs';
import { link, open, readFile, rename, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ConfigFileError } from './config/errors.js';
import { isPermissionProblem, isUnusablePath } from './config/unusable-path.js';
import { noHardLinks } from './hard-links.js';
import { createDurableOnce, replaceDurably } from './scheduler/durable-file.js';
import type { Logger } from './log/logger.js';
import { isProcessRunning } from './process-running.js';
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
  /**
   * Linux: the kernel's boot id and the pid namespace. A pid means something only to a
   * process of the same boot and pid namespace: two containers (even with one hostname, as
   * with host networking) or two boxes (with one hostname, on a shared volume) do not share
   * one, so their pids are not looked up; a lock of this host's earlier boot has no holder.
   */
  boot?: string;
  pidns?: string;
  machine?: string;
}

/** What a start saw of the lock: its content (whole, or what was there) and its inode. */
interface LockLook {
  raw?: string;
  owner?: LockOwner;
  info?: Stats;
  readError?: NodeJS.ErrnoException;
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
 * Node has no flock, so the lock is a file, written whole under another name and linked into
 * place (it is never seen half written), and renewed every 30 s. Another start takes it over
 * only from a holder that is gone: one whose pid is not running in this pid namespace (a
 * crash: the restart takes over at once), or of an earlier boot of this host; otherwise
 * one that is not renewed while the start watches it for a renewal and a half, which it
 * does once the lock looks 90 s old or from the future (a clock step either way, another
 * host's clock), or belongs to a process of another pid namespace with this hostname (the
 * same container restarted, or a twin). A takeover moves the lock aside and checks that it
 * moved the lock it judged, so two starts taking over at once do not both win. A holder that
 * finds another's lock at its next renewal says so and stops.
 */
export class DataDirLock implements Service {
  readonly name = 'data directory';
  private readonly path: string;
  private readonly me: LockOwner = { pid: process.pid, host: hostname(), nonce: randomBytes(8).toString('hex'), since: new Date().toISOString(), ...systemIdentity() };
  private timer: NodeJS.Timeout | undefined;
  private held = false;

  constructor(private readonly options: DataDirLockOptions) {
    this.path = join(options.dir, LOCK_FILE);
  }

  private get renewMs(): number {
    return this.options.renewMs ?? RENEW_MS;
  }

  async start(): Promise<void> {
    for (let tries = 0; ; tries++) {
      if (await this.create()) break;
      if (tries === 3) throw new DataDirInUseError(`${this.options.dir} was taken by another earshotd starting at the same moment`);
      const look = await this.look();
      if (!look.info && !look.readError) continue;
      const holder = await this.judge(look);
      if (holder === 'changed') continue;
      if (!holder.gone) throw new DataDirInUseError(`${this.options.dir} is in use by another earshotd (${holder.why}); stop it first, or give this one another dataDir`);
      this.options.logger.warn(`taking over the data directory from an earshotd that is gone (${holder.why})`, { lock: this.path });
      await this.moveAside(look);
    }
    this.timer = setInterval(() => void this.renew(), this.renewMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (!this.held) return;
    this.held = false;
    // Only our own: a holder that took over meanwhile keeps its lock.
    if (parseOwner((await this.look()).raw)?.nonce === this.me.nonce) await unlink(this.path).catch(() => undefined);
  }

  state(): { state: string; detail: string } {
    return { state: this.held ? 'held' : 'free', detail: this.path };
  }

  /**
   * Why the lock cannot be made, with what to do where that is known. A directory the daemon
   * may not write is a config problem (exit 78): restarting every 5 s would not mend it.
   */
  private cannotLock(err: unknown): Error {
    const code = (err as NodeJS.ErrnoException).code;
    const message = `dataDir: cannot lock the data directory ${this.options.dir}: ${(err as Error).message}`;
    if (code === 'EROFS') return new ConfigFileError(`${message} (under systemd's ProtectSystem=strict only /var/lib/earshot is writable: a dataDir elsewhere needs ReadWritePaths= in a drop-in)`);
    if (isPermissionProblem(err)) return new ConfigFileError(`${message} (the daemon runs as the earshot user: it must own the data directory)`);
    if (isUnusablePath(err)) return new ConfigFileError(message);
    return new Error(message, { cause: err });
  }

  /** Makes the lock file unless one is there; true when it is ours. */
  private async create(): Promise<boolean> {
    let made: boolean;
    try {
      // Written whole and synced under another name, then linked into place: never seen half written.
      made = await createDurableOnce(this.options.dir, this.path, this.ownRecord());
    } catch (err) {
      // No hard links here (FAT, some network shares): made in place, as before.
      if (noHardLinks(err)) return this.createInPlace();
      throw this.cannotLock(err);
    }
    if (made) this.held = true;
    return made;
  }

  private ownRecord(): string {
    return JSON.stringify(this.me) + '\n';
  }

  private async createInPlace(): Promise<boolean> {
    let file;
    try {
      file = await open(this.path, 'wx', 0o640);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw this.cannotLock(err);
    }
    try {
      await file.writeFile(this.ownRecord());
      await file.sync();
    } catch (err) {
      // A lock left empty (a full disk) would keep every later start out.
      await file.close().catch(() => undefined);
      await unlink(this.path).catch(() => undefined);
      throw this.cannotLock(err);
    }
    await file.close();
    this.held = true;
    return true;
  }

  private async look(): Promise<LockLook> {
    const look: LockLook = {};
    try {
      look.info = await statFresh(this.path);
      look.raw = await readFile(this.path, 'utf8');
      look.owner = parseOwner(look.raw);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') look.readError = err as NodeJS.ErrnoException;
      else return {};
    }
    return look;
  }

  /** Whether the lock's holder is gone, and what says so; 'changed' when the lock changed meanwhile. */
  private async judge(look: LockLook): Promise<{ gone: boolean; why: string } | 'changed'> {
    const { owner, info } = look;
    if (look.readError || !info) return { gone: false, why: `its lock cannot be read: ${look.readError?.code ?? 'unknown'}` };
    if (!owner) {
      // Never a live holder's (it is linked in whole), unless made in place a moment ago.
      await sleep(Math.min(1000, this.renewMs));
      const again = await this.look();
      if (again.raw !== look.raw || again.info?.ino !== info.ino) return 'changed';
      return { gone: true, why: 'its lock is empty or damaged: a start that did not finish writing it' };
    }
    const ageMs = Date.now() - info.mtimeMs;
    const ageSec = Math.round(ageMs / 1000);
    const who = `pid ${owner.pid}${owner.host === this.me.host ? '' : ` on ${owner.host}`}`;
    const sameTable = this.sharesPids(owner);
    if (sameTable) {
      // Our own pid in another's lock: pids are unique in a pid namespace, so its holder is gone (a restarted container's pid 1).
      if (owner.pid === process.pid) return { gone: true, why: `${who} was this process's pid in an earlier life` };
      if (!isProcessRunning(owner.pid)) return { gone: true, why: `${who} is not running` };
    } else if (owner.boot !== undefined && this.me.boot !== undefined && owner.boot !== this.me.boot && owner.host === this.me.host && owner.machine === this.me.machine) {
      return { gone: true, why: `${who} ran before this host last started` };
    }
    const stale = this.options.staleAfterMs ?? STALE_AFTER_MS;
    let doubt: string | undefined;
    if (ageMs > stale) doubt = `${who}, not renewed for ${ageSec} s`;
    else if (ageMs < -stale) doubt = `${who}, renewed ${-ageSec} s ahead of this clock`;
    else if (!sameTable && owner.host === this.me.host) doubt = `${who} of another pid namespace with this hostname`;
    if (!doubt) return { gone: false, why: `${who}, lock renewed ${Math.max(0, ageSec)} s ago` };
    // The clock (a step, another host's) or the pid namespace leaves it open: watch for a renewal.
    const watchMs = Math.round(this.renewMs * 1.5);
    this.options.logger.info(`the data directory lock looks abandoned (${doubt}); watching it ${watchMs / 1000} s for a renewal`, { lock: this.path });
    const until = performance.now() + watchMs;
    while (performance.now() < until) {
      await sleep(Math.min(1000, this.renewMs / 10));
      const now = await statFresh(this.path).catch(() => undefined);
      if (!now || now.ino !== info.ino) return 'changed';
      if (now.mtimeMs !== info.mtimeMs || now.ctimeMs !== info.ctimeMs) return { gone: false, why: `${who}, renewed while this start watched it` };
    }
    return { gone: true, why: doubt };
  }

  /** Whether the holder's pid is one of this pid namespace (on Linux: same boot and namespace; else: same host). */
  private sharesPids(owner: LockOwner): boolean {
    if (owner.boot === undefined) return owner.host === this.me.host;
    return owner.boot === this.me.boot && owner.pidns === this.me.pidns;
  }

  /**
   * Takes away the lock judged abandoned: moves it aside, then checks that it was that lock.
   * Another start may have taken it over between our look and now; its lock goes back.
   */
  private async moveAside(look: LockLook): Promise<void> {
    const aside = `${this.path}.${this.me.nonce}.old`;
    try {
      await rename(this.path, aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    const moved = await readFile(aside, 'utf8').catch(() => undefined);
    if (moved !== look.raw) {
      this.options.logger.warn('another earshotd took over the data directory at the same moment; leaving it its lock', { lock: this.path });
      await link(aside, this.path).catch(() => undefined);
    }
    await unlink(aside).catch(() => undefined);
  }

  private async renew(again = false): Promise<void> {
    if (!this.held) return;
    let raw: string;
    try {
      raw = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        // Deleted (a clean-up of the data directory): ours again, unless another made one meanwhile.
        this.options.logger.warn('the data directory lock was deleted; making it again', { lock: this.path });
        const made = await this.create().catch((e: unknown) => (this.options.logger.warn('could not make the data directory lock again', { lock: this.path, err: e }), true));
        if (!made && !again) await this.renew(true);
        return;
      }
      // A shortage (EMFILE) or an I/O error says nothing of who holds it: the next renewal reads again.
      this.options.logger.warn('could not read the data directory lock to renew it; trying again at the next renewal', { lock: this.path, err });
      return;
    }
    const owner = parseOwner(raw);
    if (owner && owner.nonce !== this.me.nonce) {
      this.held = false;
      if (this.timer) clearInterval(this.timer);
      const reason = `another earshotd took over the data directory ${this.options.dir} (pid ${owner.pid} on ${owner.host})`;
      this.options.logger.error(`${reason}; stopping, so that one daemon works on it`);
      this.options.onLost(reason);
      return;
    }
    if (!owner) {
      // Emptied or mangled by something else (a tool writing in place): ours again, whole.
      this.options.logger.warn('the data directory lock was overwritten with something that is not a lock; writing it again', { lock: this.path });
      try {
        await replaceDurably(this.options.dir, this.path, this.ownRecord());
      } catch (err) {
        this.options.logger.warn('could not write the data directory lock again', { lock: this.path, err });
      }
      return;
    }
    const now = new Date();
    await utimes(this.path, now, now).catch((err: unknown) => this.options.logger.warn('could not renew the data directory lock', { lock: this.path, err }));
  }
}

function parseOwner(raw: string | undefined): LockOwner | undefined {
  if (raw === undefined) return undefined;
  try {
    const value = JSON.parse(raw) as Partial<LockOwner>;
    return typeof value.pid === 'number' && typeof value.host === 'string' && typeof value.nonce === 'string' ? (value as LockOwner) : undefined;
  } catch {
    return undefined;
  }
}

/** Linux: this boot, this pid namespace, this machine; nothing where /proc has none (macOS). */
function systemIdentity(): Pick<LockOwner, 'boot' | 'pidns' | 'machine'> {
  const read = (f: () => string): string | undefined => {
    try {
      return f().trim() || undefined;
    } catch {
      return undefined;
    }
  };
  const boot = read(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8'));
  const pidns = read(() => readlinkSync('/proc/self/ns/pid'));
  if (!boot || !pidns) return {};
  const machine = read(() => readFileSync('/etc/machine-id', 'utf8'));
  return machine ? { boot, pidns, machine } : { boot, pidns };
}

/**
 * The file's times as the file system has them now: an open revalidates them on NFS (close-to-open),
 * where a plain stat may answer from the attribute cache for up to a minute, hiding a renewal.
 */
async function statFresh(path: string): Promise<Stats> {
  const file = await open(path, 'r');
  try {
    return await file.stat();
  } finally {
    await file.close();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
