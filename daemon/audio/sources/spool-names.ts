import { stat } from 'node:fs/promises';
import type { Dirent } from 'node:fs';
import { join } from 'node:path';
import { isPlainFileName } from './types.js';
import { GIVE_UP_WAITING_MS } from './wav-still-arriving.js';

/** Names a recorder uses while writing: skipped until renamed. */
const IN_PROGRESS = /\.(part|tmp)$/i;

/**
 * rsync's name for a file it is receiving, `.NAME.XXXXXX` (NAME the file's, six random
 * characters after), renamed to NAME when whole: a dot file, so never read as a recording.
 */
const RSYNC_RECEIVING = /^\.[^.].*\.[A-Za-z0-9]{6}$/;

/** Syncthing's name for a file it is receiving, `.syncthing.NAME.tmp` (Windows: `~syncthing~NAME.tmp`, a .tmp). */
const SYNCTHING_RECEIVING = /^\.syncthing\..+\.tmp$/;

/** A name a recording may have: not hidden, and not one its writer is still using (`.part`, `.tmp`). */
export function isRecordingName(name: string): boolean {
  return !name.startsWith('.') && !IN_PROGRESS.test(name);
}

/** A name a copy in progress has: `NAME.part` or `NAME.tmp` (renamed when done), rsync's `.NAME.XXXXXX` or Syncthing's. */
function isCopyInProgressName(name: string): boolean {
  return isPlainFileName(name) && (RSYNC_RECEIVING.test(name) || SYNCTHING_RECEIVING.test(name) || (!name.startsWith('.') && IN_PROGRESS.test(name)));
}

/**
 * How many of a folder's entries are recordings still being copied in: named as a copy in
 * progress, and written to within GIVE_UP_WAITING_MS (the spool's wait for a WAV cut short),
 * so that a transfer abandoned long ago, its `.part` left behind, is not waited for forever.
 */
export async function copiesInProgress(dir: string, entries: Dirent[], now = Date.now()): Promise<number> {
  const candidates = entries.filter((e) => e.isFile() && isCopyInProgressName(e.name));
  const recent = await Promise.all(
    candidates.map(async (e) => {
      const st = await stat(join(dir, e.name)).catch(() => undefined);
      return st !== undefined && now - st.mtimeMs < GIVE_UP_WAITING_MS;
    }),
  );
  return recent.filter(Boolean).length;
}
