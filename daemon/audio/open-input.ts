import { constants } from 'node:fs';
import { open, readlink, realpath, stat, type FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { sep } from 'node:path';

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

/**
 * Opens an input file (a recording) for reading under `rules`; every refusal and failure
 * names the path, and keeps the errno as `cause` (EMFILE, ENOMEM: the box's state, not the
 * file's).
 */
export async function openInputFile(path: string, rules: InputFileRules = {}): Promise<FileHandle> {
  const noFollow = rules.noFollow === true || rules.within !== undefined;
  let fh: FileHandle;
  try {
    fh = await open(path, noFollow ? constants.O_RDONLY | constants.O_NOFOLLOW : 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'ELOOP' && noFollow ? 'it is a symbolic link; files in a spool folder must be regular files (a link could point out of the folder)' : (err as Error).message;
    throw new Error(`${path}: cannot open: ${why}`, { cause: err });
  }
  if (rules.within) {
    const opened = await openedPath(fh, path);
    if (!rules.within.some((root) => opened === root || opened.startsWith(root.endsWith(sep) ? root : root + sep))) {
      await fh.close();
      throw new Error(`${path}: cannot open: it leads to ${opened}, outside the folders this caller may name (${rules.within.join(', ')})`);
    }
  }
  return fh;
}

/** The file's metadata, of the file as opened under `rules` when there are any. */
export async function statInputFile(path: string, rules: InputFileRules = {}): Promise<Stats> {
  if (!rules.noFollow && !rules.within) return stat(path);
  const fh = await openInputFile(path, rules);
  try {
    return await fh.stat();
  } finally {
    await fh.close();
  }
}

/** The whole file, read under `rules`. */
export async function readInputFile(path: string, rules: InputFileRules = {}): Promise<Buffer> {
  const fh = await openInputFile(path, rules);
  try {
    return await fh.readFile();
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
