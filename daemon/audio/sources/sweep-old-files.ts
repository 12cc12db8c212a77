import { lstat, opendir, unlink } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import { lstatIfPresent } from '../../lstat-if-present.js';

/**
 * Times before this are taken to come from a clock that was not set yet (a box without a
 * battery-backed clock boots in 1970 until NTP answers): a recording moved then looks
 * decades old, and would be deleted at the next sweep. It is kept, and counted.
 */
export const UNSET_CLOCK_BEFORE_MS = Date.UTC(2020, 0, 1);

export interface SweepOptions {
  /** Files moved into the folder before this (ms since the epoch) are deleted. */
  cutoffMs: number;
  /**
   * A file that goes with each one (`.reason.txt` in failed/): deleted with its file, and
   * aged on its own only when its file is gone.
   */
  companionSuffix?: string;
  /** Checked between entries: a daemon stopping ends the sweep where it is. */
  stopped?: () => boolean;
}

export interface SweepOutcome {
  /** Files deleted (companions included) and their bytes. */
  deleted: number;
  bytes: number;
  /** Files old enough that could not be deleted or looked at, and the first such error. */
  failed: number;
  firstError?: string;
  /** Files kept because their time is before UNSET_CLOCK_BEFORE_MS. */
  unsetClock: number;
}

/**
 * Deletes the regular files and symbolic links (the links themselves: unlink never follows
 * one) directly in `dir` that were moved there before `cutoffMs`. Folders, anything in them,
 * other kinds of file and names starting with '.' (a reason being written) are left alone.
 *
 * When a file was moved in is its status-change time (ctime): a rename sets it, and nothing
 * but the kernel can set it back, whereas a move keeps the recorder's mtime. ctime also
 * moves on with a chmod or a new link, which only makes a file look younger, so it is kept
 * longer, never deleted early. The later of ctime and mtime is used, for the same reason: a
 * writer whose clock runs ahead keeps its files longer.
 *
 * The folder is read as a stream (opendir), never listed whole: done/ may hold hundreds of
 * thousands of recordings. A file that vanishes meanwhile is skipped; one that cannot be
 * looked at or deleted is counted and the sweep goes on. Should the folder be replaced
 * while it is swept (renamed away, a link put in its place), the sweep stops before it
 * deletes anything through the new one.
 */
export async function sweepOldFiles(dir: string, options: SweepOptions): Promise<SweepOutcome> {
  const outcome: SweepOutcome = { deleted: 0, bytes: 0, failed: 0, unsetClock: 0 };
  const folder = await lstat(dir);
  if (!folder.isDirectory()) throw new Error(`${dir} is not a plain folder; nothing in it is deleted`);
  const stillTheFolder = async (): Promise<void> => {
    const now = await lstat(dir).catch(() => undefined);
    if (now?.dev !== folder.dev || now.ino !== folder.ino) throw new Error(`${dir} was replaced while old files were being deleted; the sweep stopped`);
  };
  const failed = (err: unknown): void => {
    outcome.failed++;
    outcome.firstError ??= err instanceof Error ? err.message : String(err);
  };
  /** Deletes one entry; false when it was gone already. */
  const remove = async (path: string, info: Stats): Promise<boolean> => {
    await stillTheFolder();
    try {
      await unlink(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      failed(err);
      return false;
    }
    outcome.deleted++;
    outcome.bytes += info.size;
    return true;
  };
  const suffix = options.companionSuffix;
  for await (const entry of await opendir(dir)) {
    if (options.stopped?.()) break;
    if (entry.name.startsWith('.') || entry.isDirectory()) continue;
    const path = join(dir, entry.name);
    const info = await lstatIfPresent(path).catch((err: unknown) => void failed(err));
    if (!info || !(info.isFile() || info.isSymbolicLink())) continue;
    if (info.dev !== folder.dev) continue; // something mounted over it is not ours
    // A companion whose file is there goes when its file does, whatever its own age.
    if (suffix && entry.name.endsWith(suffix) && (await lstatIfPresent(path.slice(0, -suffix.length)).catch(() => undefined))) continue;
    const decision = verdict(Math.max(info.ctimeMs, info.mtimeMs), options.cutoffMs);
    if (decision === 'unset-clock') outcome.unsetClock++;
    if (decision !== 'delete') continue;
    if (!(await remove(path, info)) || !suffix || entry.name.endsWith(suffix)) continue;
    const companion = `${path}${suffix}`;
    const companionInfo = await lstatIfPresent(companion).catch((err: unknown) => void failed(err));
    if (companionInfo?.isFile()) await remove(companion, companionInfo);
  }
  return outcome;
}

/** What becomes of a file moved in at `movedAtMs` (ms since the epoch) in a sweep with this cutoff. */
export function verdict(movedAtMs: number, cutoffMs: number): 'keep' | 'delete' | 'unset-clock' {
  if (movedAtMs >= cutoffMs) return 'keep';
  return movedAtMs < UNSET_CLOCK_BEFORE_MS ? 'unset-clock' : 'delete';
}
