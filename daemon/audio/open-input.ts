import { constants } from 'node:fs';
import { open, readlink, realpath, stat, type FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { isInside } from '../path-inside.js';

export interface InputFileRules {
  /**
   * Refuse a path whose last element is a symbolic link: for folders that others write to
   * (spool folders), where a link swapped in for a recording could make the daemon read a
   * file outside the folder.
   */
  noFollow?: boolean;
  /**
   * Folders the opened file must lie in, as the kernel resolved the open (not as the path
   * read when it was checked): for paths named by remote callers, so that a folder inside
   * the spool swapped for a link after the check leads nowhere. Implies noFollow.
   */
  within?: readonly string[];
}

/** Refusals and failures name the path and keep the errno (`code`, and `cause`): EMFILE or ENOMEM is the box's state, not the file's. */
function inputError(path: string, why: string, cause?: unknown): Error {
  const err = new Error(`${path}: cannot open: ${why}`, cause === undefined ? undefined : { cause });
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  return code ? Object.assign(err, { code }) : err;
}

/** An input file opened under its rules, with the metadata the check read (no need to fstat again). */
export interface OpenedInput {
  fh: FileHandle;
  stats: Stats;
}

/**
 * Opens an input file (a recording) for reading under `rules`. Only a regular file is
 * accepted, and the open itself never waits: O_NONBLOCK, so a FIFO put in the file's place
 * cannot hang a thread of the pool (regular files ignore the flag).
 */
export async function openInputFile(path: string, rules: InputFileRules = {}): Promise<OpenedInput> {
  const noFollow = rules.noFollow === true || rules.within !== undefined;
  let fh: FileHandle;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | (noFollow ? constants.O_NOFOLLOW : 0));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'ELOOP' && noFollow ? 'it is a symbolic link; files in a spool folder must be regular files (a link could point out of the folder)' : (err as Error).message;
    throw inputError(path, why, err);
  }
  try {
    const stats = await fh.stat();
    if (!stats.isFile()) throw inputError(path, 'not a regular file (a directory, device or pipe); give an audio file');
    if (rules.within) {
      const opened = await openedPath(fh, path);
      if (!rules.within.some((root) => isInside(opened, root))) throw inputError(path, `it leads to ${opened}, outside the folders this caller may name (${rules.within.join(', ')})`);
    }
    return { fh, stats };
  } catch (err) {
    await fh.close();
    throw err;
  }
}

/** The file's metadata, of the file as opened under `rules` when there are any. */
export async function statInputFile(path: string, rules: InputFileRules = {}): Promise<Stats> {
  if (!rules.noFollow && !rules.within) return stat(path);
  const { fh, stats } = await openInputFile(path, rules);
  await fh.close();
  return stats;
}

/**
 * The whole file and its metadata, from one open under `rules`: what was checked is what is
 * read. A file over `maxBytes` is refused before it is read (`tooBig` gets its size).
 */
export async function readInputFile(path: string, rules: InputFileRules = {}, maxBytes = Number.MAX_SAFE_INTEGER, tooBig?: (bytes: number) => Error): Promise<{ data: Buffer; stats: Stats }> {
  const { fh, stats } = await openInputFile(path, rules);
  try {
    if (stats.size > maxBytes) throw tooBig?.(stats.size) ?? new Error(`${path}: ${stats.size} bytes is over the limit of ${maxBytes}`);
    // Reads what the file held when it was measured, even if it grows meanwhile.
    const data = Buffer.alloc(stats.size);
    let filled = 0;
    while (filled < data.length) {
      const { bytesRead } = await fh.read(data, filled, data.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return { data: data.subarray(0, filled), stats };
  } finally {
    await fh.close();
  }
}

/**
 * Where the open file really is. Linux says so for the open descriptor itself, which no
 * later rename or link can change; elsewhere (macOS has no /proc) the path is resolved
 * again, which narrows the race to the moment between the two calls.
 */
async function openedPath(fh: FileHandle, path: string): Promise<string> {
  try {
    return await readlink(`/proc/self/fd/${fh.fd}`);
  } catch {
    return await realpath(path);
  }
}
