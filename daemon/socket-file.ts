import { lstat, unlink } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { ConfigFileError } from './config/errors.js';
import { fileKind } from './file-kind.js';

/**
 * Whether a unix socket file is at `path` (false when nothing is). Anything else there (a
 * config file, a recording, a folder) is refused, so that a socket path set by mistake to
 * an existing file never leads the daemon to delete that file. `setting` names the config
 * key the path came from, for the error.
 */
export async function isSocketFile(path: string, setting: string): Promise<boolean> {
  let info: Stats;
  try {
    info = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new ConfigFileError(`${setting}: cannot check ${path}: ${(err as Error).message}`);
  }
  if (info.isSocket()) return true;
  const kind = fileKind(info);
  throw new ConfigFileError(
    `${setting}: ${path} is ${kind}, not a unix socket; refusing to delete it to listen there. ` +
      `Set ${setting} to a free path (such as one under /run/earshot), or move that ${kind.replace(/^an? /, '')} away`,
  );
}

/** Removes the stale socket file at `path`, if one is there; refuses anything else (see isSocketFile). */
export async function removeSocketFile(path: string, setting: string): Promise<void> {
  if (!(await isSocketFile(path, setting))) return;
  await unlink(path).catch((err: NodeJS.ErrnoException) => {
    // Gone in between: what we wanted.
    if (err.code !== 'ENOENT') throw new ConfigFileError(`${setting}: cannot remove the stale socket ${path}: ${err.message}`);
  });
}
