import { link, lstat, mkdir, opendir, readdir, rename, stat, unlink } from 'node:fs/promises';
import { fsyncDir, writeSyncedFile } from '../../scheduler/durable-file.js';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from '../../log/logger.js';
import { checkFileName, checkSourceId, isPlainFileName, type AudioSource } from './types.js';
import { transientCode, transientReason } from '../../shortage/transient-errors.js';
import { RepeatedStops, stoppedTooOften } from '../../shortage/repeated-stops.js';
import { RetryBackoff } from '../../shortage/retry-backoff.js';
import { RepeatedFailures } from './repeated-failures.js';
import { freeName } from './free-name.js';
import { noHardLinks } from '../../hard-links.js';
import { RateLimit } from '../../log/rate-limit.js';
import { ConfigFileError } from '../../config/errors.js';
import { isPermissionProblem } from '../../config/unusable-path.js';
import { SpoolRetention } from './spool-retention.js';
import { SerialQueue } from '../../serial-queue.js';
import { ArrivingWavs } from './wav-still-arriving.js';
import { copiesInProgress, isRecordingName } from './spool-names.js';

/** A recording found complete in the spool folder, handed to the caller. */
export interface SpoolFile {
  sourceId: string;
  /** Full path while being handled (inside the spool folder). */
  path: string;
  name: string;
  size: number;
  /** Last modification: when the recorder finished writing. */
  mtimeMs: number;
}

/** Resolve when the file was handled (it moves to done/); reject to move it to failed/ with the reason. */
export type SpoolHandler = (file: SpoolFile) => Promise<void>;

export interface SpoolWatcherOptions {
  id: string;
  dir: string;
  /** A file is complete when its size and mtime have not changed for this long. */
  settleMs?: number;
  /** How often the folder is listed; polling works on every filesystem (NFS, SMB) where inotify does not. */
  pollMs?: number;
  logger: Logger;
  handler: SpoolHandler;
  /** First and longest wait before a recording that met a shortage of the box is tried again. */
  retryMs?: { min: number; max: number };
  /** Days a recording stays in done/ or failed/ before it is deleted; null or absent: for ever. */
  keepDoneDays?: number | null;
  keepFailedDays?: number | null;
  /**
   * The folder is where a share is mounted: while it is not a mount point (the share not
   * mounted yet, or gone), the empty folder under it is the local disk's, and the source fails
   * instead of watching it as if all were well.
   */
  requireMount?: boolean;
  /** Run once stop() has let the file in hand finish: frees what the handler keeps between files (its VAD detector). */
  afterStop?: () => Promise<void>;
}

/** The file beside a recording in failed/ that says why it is there. */
const REASON_SUFFIX = '.reason.txt';

/** A reason being written in failed/, before it is linked into place. */
const REASON_PART = /^\.reason-[0-9a-f]{12}\.part$/;
/** Such a file this old was left by a daemon that died writing it. */
const STALE_REASON_PART_MS = 3600_000;

/** done/ and failed/: writable by the daemon's user alone (ownDirsProblem checks it). */
const OWN_DIR_MODE = 0o755;

/**
 * Batch recordings dropped into a folder. A file is picked up when it is complete: either
 * its writer renames it from `NAME.part` to `NAME` when done, or its size and mtime stay
 * the same for `settleMs` (and a WAV holds all the audio its header declares). Files are handled one at a time, oldest first; each ends in
 * `done/`, or in `failed/` beside a `NAME.reason.txt` saying why, so nothing is lost and
 * nothing is handled twice. The reason is there, whole, before the recording is moved: a
 * script watching failed/ can read it as soon as it sees the recording.
 */
export class SpoolWatcher implements AudioSource {
  readonly id: string;
  readonly kind = 'spool' as const;
  private readonly settleMs: number;
  private readonly pollMs: number;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly scans = new SerialQueue();
  private stopped = true;
  /** Set by stop(): finish the file in hand, start no other. */
  private stopRequested = false;
  private readonly seen = new Map<string, { size: number; mtimeMs: number; since: number }>();
  /** Recordings kept after a shortage, and when each is tried again (not at every scan). */
  private readonly retries: RetryBackoff;
  /** Recordings whose decoder was stopped by a signal, tries in a row. */
  private readonly decoderStops = new RepeatedStops();
  /** done/ or failed/ replaced by something else: said once a minute while it lasts, not at every scan. */
  private readonly brokenDirs = new RateLimit(1 / 60, 1);
  /** Files whose names are not allowed: said once a minute. */
  private readonly badNames = new RateLimit(1 / 60, 1);
  /** The folder cannot be listed (a share unmounted, a disk gone): said once a minute. */
  private readonly scanFailures = new RepeatedFailures(1);
  /** Why the last scan failed, while scans fail. */
  private scanFailing: string | undefined;
  /** Why done/ or failed/ cannot be used, while that lasts. */
  private dirsProblem: string | undefined;
  /** Deletes old recordings from done/ and failed/, where configured. */
  private readonly retention: SpoolRetention | undefined;
  /** WAVs copied in slowly, which may look settled between two pieces. */
  private readonly arriving: ArrivingWavs;

  constructor(private readonly options: SpoolWatcherOptions) {
    this.id = checkSourceId(options.id);
    this.retries = new RetryBackoff(options.retryMs?.min ?? 5000, options.retryMs?.max ?? 5 * 60_000);
    this.settleMs = options.settleMs ?? 2000;
    this.pollMs = options.pollMs ?? 1000;
    this.arriving = new ArrivingWavs(this.id, this.settleMs, options.logger);
    const folders = [
      ...(options.keepDoneDays != null ? [{ label: 'done/', dir: this.doneDir, keepDays: options.keepDoneDays }] : []),
      ...(options.keepFailedDays != null ? [{ label: 'failed/', dir: this.failedDir, keepDays: options.keepFailedDays, companionSuffix: REASON_SUFFIX }] : []),
    ];
    this.retention = folders.length > 0 ? new SpoolRetention({ sourceId: this.id, folders, logger: options.logger, folderProblem: () => this.ownDirsProblem() }) : undefined;
  }

  /** For `earshot status`: the folder cannot be read (or its share is not mounted), or done/ or failed/ is not ours. */
  problem(): string | undefined {
    if (this.scanFailing !== undefined) return `spool folder cannot be read: ${this.scanFailing}`;
    if (this.dirsProblem !== undefined) return `recordings wait: ${this.dirsProblem}`;
    return undefined;
  }

  /**
   * The recordings in the folder now that are to be read: what a scan would take once each
   * has settled (dot files, links and folders left out), and those still being copied in
   * under a name of their writer's (`NAME.part`, rsync's `.NAME.XXXXXX`) that was written to
   * lately: `earshot jobs wait`, run while a copy runs, waits for it. One being read
   * counts until it is moved, which is after its speech is queued, so between this count and
   * the job queue no recording is ever in neither. A folder that cannot be read counts 0 (its
   * problem shows in `earshot status`).
   */
  async recordingsWaiting(): Promise<number> {
    const entries = await readdir(this.options.dir, { withFileTypes: true }).catch(() => []);
    const settled = entries.filter((e) => e.isFile() && isPlainFileName(e.name) && isRecordingName(e.name)).length;
    return settled + (await copiesInProgress(this.options.dir, entries));
  }

  /** Which folders keep recordings how long, and what the last sweep deleted; for `earshot status`. */
  detail(): string | undefined {
    return this.retention?.detail();
  }

  get doneDir(): string {
    return join(this.options.dir, 'done');
  }

  get failedDir(): string {
    return join(this.options.dir, 'failed');
  }

  async start(): Promise<void> {
    await this.requireSpoolDir();
    // Not recursive: should the folder go between the check and here, this fails rather than
    // make it. 0755 (less the umask): never group-writable, even under umask 0002, which
    // ownDirsProblem refuses. One already there is checked just below.
    for (const dir of [this.doneDir, this.failedDir]) {
      await mkdir(dir, { mode: OWN_DIR_MODE }).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw cannotMakeOwnDir(this.options.dir, err);
      });
    }
    const problem = await this.ownDirsProblem();
    if (problem) throw new ConfigFileError(`spool folder ${this.options.dir}: ${problem}`);
    // Without the sticky bit, whoever may write to the folder may also rename done/ and
    // failed/ away and put their own in their place, between our check and a move.
    const mode = (await stat(this.options.dir)).mode;
    if ((mode & 0o1000) === 0 && (mode & 0o002) !== 0) {
      throw new ConfigFileError(`spool folder ${this.options.dir} is writable by everyone without the sticky bit: anyone could replace done/ or failed/ with a folder or link of theirs; run chmod +t ${this.options.dir} (or take away o+w)`);
    }
    if ((mode & 0o1000) === 0 && (mode & 0o020) !== 0) {
      this.options.logger.warn('spool folder is writable by its group without the sticky bit: a member could replace done/ or failed/; run chmod +t on it', { source: this.id, dir: this.options.dir });
    }
    await this.removeStaleReasonParts();
    this.stopped = false;
    this.stopRequested = false;
    this.options.logger.info('spool watching', { source: this.id, dir: this.options.dir });
    this.schedule(0);
    this.retention?.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopRequested = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    // Let the file in hand finish, so it is moved and never handled twice.
    await Promise.all([this.running, this.retention?.stop()]);
    await this.options.afterStop?.();
  }

  /**
   * Lists the folder once and handles every file that is complete. Calls are queued behind
   * the poll loop's own, so a file is never handled by two scans at once.
   */
  scan(): Promise<void> {
    return this.scans.run(() => this.scanOnce());
  }

  private async scanOnce(): Promise<void> {
    await this.requireMounted();
    // Said again by dirsBroken below while recordings wait on it; with none waiting, nothing does.
    this.dirsProblem = undefined;
    const now = Date.now();
    const entries = await readdir(this.options.dir, { withFileTypes: true });
    const ready: SpoolFile[] = [];
    const present = new Set<string>();
    for (const entry of entries) {
      // A name the daemon will not use in a path (a backslash, say) is left where it is:
      // handling it would throw, and one such file must not stop the whole folder.
      if (!isPlainFileName(entry.name)) {
        if (this.badNames.take()) this.options.logger.warn('spool: a file name with a backslash is left alone; rename the file', { source: this.id, file: entry.name });
        continue;
      }
      if (entry.isSymbolicLink() && isRecordingName(entry.name) && !this.stopRequested) {
        await this.refuseLink(entry.name);
        continue;
      }
      if (!entry.isFile() || !isRecordingName(entry.name)) continue;
      present.add(entry.name);
      const path = join(this.options.dir, entry.name);
      let info;
      try {
        info = await stat(path);
      } catch {
        continue; // removed between listing and stat
      }
      const last = this.seen.get(entry.name);
      if (!last || last.size !== info.size || last.mtimeMs !== info.mtimeMs) {
        this.seen.set(entry.name, { size: info.size, mtimeMs: info.mtimeMs, since: now });
        // A file already quiet for settleMs (e.g. present at startup) need not wait another round.
        if (now - info.mtimeMs < this.settleMs) continue;
      } else if (now - last.since < this.settleMs && now - info.mtimeMs < this.settleMs) {
        continue;
      }
      if (this.retries.waiting(entry.name)) continue;
      if (await this.arriving.holds(entry.name, path, info.mtimeMs, now)) continue;
      ready.push({ sourceId: this.id, path, name: entry.name, size: info.size, mtimeMs: info.mtimeMs });
    }
    for (const name of this.seen.keys()) if (!present.has(name)) this.seen.delete(name);
    this.arriving.keepOnly(present);
    ready.sort((a, b) => a.mtimeMs - b.mtimeMs || a.name.localeCompare(b.name));
    for (const file of ready) {
      if (this.stopRequested) break;
      // Checked before each recording is read (and again before it is moved): while done/ or
      // failed/ is not the daemon's own folder, recordings wait here untouched.
      if (await this.dirsBroken()) break;
      await this.handle(file);
    }
  }

  private schedule(delay: number): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.scan()
        .then(() => {
          if (this.scanFailing === undefined) return;
          this.scanFailing = undefined;
          this.options.logger.info('spool folder readable again', { source: this.id, dir: this.options.dir });
        })
        .catch((err: unknown) => {
          const error = err instanceof Error ? err.message : String(err);
          this.scanFailing = error;
          const { log, unlogged } = this.scanFailures.take(error);
          if (log) this.options.logger.error('spool scan failed; trying again at each poll', { source: this.id, dir: this.options.dir, error, ...(unlogged > 0 ? { unloggedScans: unlogged } : {}) });
        })
        .finally(() => {
          this.running = null;
          if (!this.stopped) this.schedule(this.pollMs);
        });
    }, delay);
  }

  /**
   * The spool folder itself is never made: a mistyped path would be watched for ever, and a
   * share not mounted yet would get done/ and failed/ on the local disk under its mount
   * point. Missing, it fails the start; the source set marks the source failed, with this
   * reason, and tries again until the folder appears.
   */
  private async requireSpoolDir(): Promise<void> {
    const { dir } = this.options;
    const info = await stat(dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return undefined;
      throw err;
    });
    if (!info) throw new Error(`spool folder ${dir} does not exist; create it, mount its share or correct the path (the daemon does not make it)`);
    if (!info.isDirectory()) throw new Error(`spool folder ${dir} is not a folder; point sources[].dir at the folder the recordings are dropped into`);
    await this.requireMounted();
  }

  /** With requireMount: the folder must be a mount point (on another device than its parent). */
  private async requireMounted(): Promise<void> {
    if (!this.options.requireMount) return;
    const { dir } = this.options;
    const [here, parent] = await Promise.all([stat(dir), stat(join(dir, '..'))]);
    if (here.dev === parent.dev && here.ino !== parent.ino) {
      throw new Error(`spool folder ${dir} is not a mount point: its share is not mounted (sources[].requireMount); recordings are not looked for in the local folder under it`);
    }
  }

  /**
   * done/ and failed/ must be the folders the daemon made, not links: recordings are moved
   * into them and reasons written there, so a link put in their place by whoever writes to
   * the spool would have the daemon write wherever it points (its own job queue, say).
   */
  private async ownDirsProblem(): Promise<string | undefined> {
    const uid = process.getuid?.();
    for (const dir of [this.doneDir, this.failedDir]) {
      const info = await lstat(dir).catch(() => undefined);
      if (!info?.isDirectory()) return `${dir} is ${info?.isSymbolicLink() ? 'a symbolic link' : info ? 'not a directory' : 'missing'}; it must be a plain folder (remove it, and the daemon makes it again)`;
      // One made by a writer to the spool is theirs to swap later, whatever its name.
      if ((uid !== undefined && info.uid !== uid) || (info.mode & 0o022) !== 0) {
        return `${dir} must belong to the daemon's user and be writable by it alone (it is uid ${info.uid}, mode ${(info.mode & 0o7777).toString(8).padStart(4, '0')}); remove it, and the daemon makes it again`;
      }
    }
    return undefined;
  }

  private async dirsBroken(): Promise<boolean> {
    await this.remakeMissingDirs();
    const problem = await this.ownDirsProblem();
    this.dirsProblem = problem;
    if (problem && this.brokenDirs.take()) this.options.logger.error(`spool folder: ${problem}; recordings wait here until it is fixed`, { source: this.id });
    return problem !== undefined;
  }

  /**
   * done/ or failed/ gone while the daemon runs (a share mounted over the folder, a cleanup
   * that took them) is made again: a missing folder is safe to make, unlike one that is
   * there but not ours, which waits for a person.
   */
  private async remakeMissingDirs(): Promise<void> {
    for (const dir of [this.doneDir, this.failedDir]) {
      if (await lstat(dir).then(() => true, () => false)) continue;
      await mkdir(dir, { mode: OWN_DIR_MODE }).then(
        () => this.options.logger.warn('spool: a folder of ours was missing; made it again', { source: this.id, dir }),
        // Made by someone in between, or the folder cannot be written: ownDirsProblem says which.
        () => undefined,
      );
    }
  }

  private async handle(file: SpoolFile): Promise<void> {
    const { logger } = this.options;
    const name = checkFileName(file.name);
    this.seen.delete(name);
    try {
      await this.options.handler(file);
    } catch (err) {
      // Our own disk is full, the process is out of file descriptors or memory, or its decoder
      // was stopped by a signal: not the recording's fault, so it stays here for a later scan.
      const code = transientCode(err);
      const givingUp = this.decoderStops.tooMany(name, err);
      if (code && !givingUp) {
        const retryInSec = Math.round(this.retries.postpone(name) / 1000);
        if (code === 'ENOSPC' || code === 'EDQUOT') return logger.error(`disk full: cannot save speech from this recording; it stays in the spool and is tried again in ${retryInSec} s (free space under dataDir)`, { source: this.id, file: name });
        return logger.error(`${transientReason(err)}: this recording stays in the spool and is tried again in ${retryInSec} s`, { source: this.id, file: name });
      }
      this.retries.clear(name);
      this.decoderStops.clear(name);
      if (await this.dirsBroken()) return;
      const reason = givingUp ? stoppedTooOften(err) : err instanceof Error ? err.message : String(err);
      await this.moveToFailed(name, reason).catch((e: unknown) => this.cannotMove(name, 'failed/', e));
      return;
    }
    this.retries.clear(name);
    this.decoderStops.clear(name);
    // Replaced while the recording was read: it stays; done again once the folder is fixed,
    // its segments are known by their audio and not transcribed twice.
    if (await this.dirsBroken()) return;
    try {
      const target = await freeName(this.doneDir, name);
      await rename(file.path, join(this.doneDir, target));
      logger.info('spool file done', { source: this.id, file: name, movedTo: target });
    } catch (err) {
      this.cannotMove(name, 'done/', err);
    }
  }

  /**
   * A recording that cannot be moved where it belongs stays in the spool and waits its turn,
   * as one that met a shortage does: it neither holds up the files after it in this scan nor
   * is read again at every poll.
   */
  private cannotMove(name: string, to: string, err: unknown): void {
    const logger = this.options.logger;
    const message = err instanceof Error ? err.message : String(err);
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      this.retries.clear(name);
      return logger.warn(`the recording was gone before it could be moved to ${to} (${message})`, { source: this.id, file: name });
    }
    const retryInSec = Math.round(this.retries.postpone(name) / 1000);
    logger.error(`cannot move this recording to ${to}: ${message}; it stays in the spool and is tried again in ${retryInSec} s`, { source: this.id, file: name });
  }

  /**
   * Reasons being written when the daemon died (see moveToFailed) are ours to remove. Only
   * old ones: another daemon given the same folder may be writing one now. failed/ is read
   * as a stream, not listed whole: it may hold hundreds of thousands of recordings.
   */
  private async removeStaleReasonParts(): Promise<void> {
    const cutoff = Date.now() - STALE_REASON_PART_MS;
    for await (const entry of await opendir(this.failedDir)) {
      if (!REASON_PART.test(entry.name)) continue;
      const path = join(this.failedDir, entry.name);
      const info = await lstat(path).catch(() => undefined);
      if (info?.isFile() && info.mtimeMs < cutoff) await unlink(path).catch(() => undefined);
    }
  }

  private async moveToFailed(name: string, reason: string): Promise<void> {
    const target = await freeName(this.failedDir, name, REASON_SUFFIX);
    const reasonFile = join(this.failedDir, `${target}${REASON_SUFFIX}`);
    // The reason goes in first and whole (written aside, then linked into place, which never
    // replaces a file): whoever sees the recording, or its reason, in failed/ reads all of it.
    const partial = join(this.failedDir, `.reason-${randomBytes(6).toString('hex')}.part`);
    try {
      // Synced before it is linked: a power cut must not leave the recording in failed/ beside an empty reason.
      await writeSyncedFile(partial, `${new Date().toISOString()} ${this.id} ${name}\n${reason}\n`, 0o666);
      await placeWhole(partial, reasonFile);
    } catch (err) {
      // On a full disk a half-written reason would hold the space the retry needs.
      await unlink(partial).catch(() => undefined);
      throw err;
    }
    try {
      await rename(join(this.options.dir, name), join(this.failedDir, target));
    } catch (err) {
      await unlink(reasonFile).catch(() => undefined);
      throw err;
    }
    // The reason's and the recording's names in failed/. Not every share syncs a folder (some
    // refuse it): the move is done either way, and a lost one only brings the recording back.
    await fsyncDir(this.failedDir).catch(() => undefined);
    this.options.logger.warn('spool file failed; moved to failed/', { source: this.id, file: name, movedTo: target, reason });
  }

  /**
   * A symbolic link is never read: it could point out of the folder, at anything the daemon
   * can read. It goes to failed/ (the link itself, not what it points to) with the reason,
   * so whoever dropped it sees why. Decoding also opens recordings without following a
   * link, for one swapped in after this listing.
   */
  private async refuseLink(name: string): Promise<void> {
    if (this.retries.waiting(name) || (await this.dirsBroken())) return;
    try {
      await this.moveToFailed(checkFileName(name), 'a symbolic link, not a recording: files in a spool folder must be regular files (a link could point out of the folder); copy or move the recording in instead');
    } catch (err) {
      // Gone meanwhile: nothing left to refuse.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.cannotMove(name, 'failed/', err);
    }
  }
}

/**
 * Puts the written file `from` at `to`, failing (EEXIST) rather than replacing a file of
 * that name that came in meanwhile; renamed where the file system has no hard links.
 */
async function placeWhole(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch (err) {
    if (!noHardLinks(err)) throw err;
    await rename(from, to);
    return;
  }
  await unlink(from);
}

/**
 * done/ or failed/ that cannot be made, with what to do first, as earshot status shows only
 * the start of it: a spool folder outside /var/lib/earshot is read-only under the shipped
 * unit (ProtectSystem=strict), and one the earshot user may not write cannot take them either.
 */
function cannotMakeOwnDir(spoolDir: string, err: NodeJS.ErrnoException): Error {
  if (err.code === 'EROFS') return new Error(`spool folder ${spoolDir} is read-only (EROFS): systemctl edit earshot and add ReadWritePaths=${spoolDir} (the unit has ProtectSystem=strict)`, { cause: err });
  if (isPermissionProblem(err)) return new Error(`spool folder ${spoolDir}: the daemon's user (earshot) may not write there (${err.code}), so it cannot make done/ and failed/`, { cause: err });
  return err;
}
