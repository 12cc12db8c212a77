import { open, link, unlink, rename, readFile, readdir } from 'node:fs/promises';
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';

/**
 * Crash-safe file writes for the job queue: write a temp file in the same directory tree,
 * fsync it, then rename (replace) or hard-link (create once) it into place and fsync the
 * directory, so after a power cut or SIGKILL the file is either entirely there or absent.
 * https://lwn.net/Articles/457667/
 */
async function writeTemp(tmpDir: string, data: string | Uint8Array): Promise<string> {
  const tmp = join(tmpDir, `${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeSyncedFile(tmp, data, 0o640);
  } catch (err) {
    // A half-written temp file on a full disk would hold the space every retry needs.
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  return tmp;
}

/**
 * Writes `data` whole to a new file at `path` (never replacing one) and fsyncs it; the caller
 * then gives it its final name and syncs that folder, and removes it if this throws.
 */
export async function writeSyncedFile(path: string, data: string | Uint8Array, mode: number): Promise<void> {
  await writeSynced(path, 'wx', data, mode);
}

/** Appends `data` to `path` (made with `mode` if missing) and fsyncs it, before it resolves. */
export async function appendSyncedFile(path: string, data: string | Uint8Array, mode: number): Promise<void> {
  await writeSynced(path, 'a', data, mode);
}

async function writeSynced(path: string, flag: 'wx' | 'a', data: string | Uint8Array, mode: number): Promise<void> {
  const fh = await open(path, flag, mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function fsyncDir(dir: string): Promise<void> {
  await fsyncPath(dir);
}

/** fsyncs a file or a folder, opened read-only (which Linux allows for either). */
async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * fsyncs every file and folder under `dir`, and `dir`: for a tree written without syncs (an
 * unpacked model) just before it is renamed into place, so that a power cut after the rename
 * cannot bring its files back empty or zero-filled under their final names.
 */
export async function fsyncTree(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await fsyncTree(path);
    else if (entry.isFile()) await fsyncPath(path);
  }
  await fsyncPath(dir);
}

/**
 * Writes `path` atomically, replacing what was there, without the directory fsync: for a
 * caller that writes several files into one directory and fsyncs it once after the last.
 */
export async function replaceDurably(tmpDir: string, path: string, data: string | Uint8Array): Promise<void> {
  const tmp = await writeTemp(tmpDir, data);
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

/** Writes `path` atomically, replacing what was there. */
export async function writeDurable(tmpDir: string, path: string, data: string | Uint8Array): Promise<void> {
  await replaceDurably(tmpDir, path, data);
  await fsyncDir(dirname(path));
}

/** Creates `path` atomically unless it exists; returns false (and writes nothing) if it does. */
export async function createDurableOnce(tmpDir: string, path: string, data: string): Promise<boolean> {
  const tmp = await writeTemp(tmpDir, data);
  try {
    await link(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  await fsyncDir(dirname(path));
  return true;
}

export async function removeDurable(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    return;
  }
  await fsyncDir(dirname(path));
}

export async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * writeDurable for a small file written in one go from synchronous code (a plugin's store, the
 * operator's plugin choices): `<path>.tmp`, fsynced, renamed over `path`, then the folder
 * fsynced. Without the fsyncs a power cut can leave the renamed file empty on filesystems that
 * do not flush a file's data before its rename (XFS, or ext4 with noauto_da_alloc), and an
 * empty plugins/state.json refuses the daemon's start.
 */
export function replaceFileSync(path: string, data: string, mode: number): void {
  const tmp = `${path}.tmp`;
  writeSyncedFileSync(tmp, data, { flag: 'w', mode });
  renameSync(tmp, path);
  fsyncDirSync(dirname(path));
}

/**
 * Writes `data` whole to `path` (opened with `flag`: 'w', or 'wx' never to replace a file) and
 * fsyncs it; `beforeSync` runs on the written file first (a chown). On any failure the file is
 * removed and the error thrown. The caller syncs the folder once the name is final.
 */
export function writeSyncedFileSync(path: string, data: string | Uint8Array, options: { flag: 'w' | 'wx'; mode: number; beforeSync?: () => void }): void {
  const fd = openSync(path, options.flag, options.mode);
  try {
    // Not writeSync: on a nearly full disk it writes what fits and returns that count, and the
    // cut-off file would be taken as whole (renamed over a good one). writeFileSync writes on
    // until all of it is written or ENOSPC is thrown.
    writeFileSync(fd, data);
    options.beforeSync?.();
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkSync(path);
    throw err;
  }
  closeSync(fd);
}

/** fsyncDir from synchronous code: makes the names in `dir` (a file just created or renamed there) survive a power cut. */
export function fsyncDirSync(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
