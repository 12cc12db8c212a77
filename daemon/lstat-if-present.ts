import { lstat } from 'node:fs/promises';
import type { Stats } from 'node:fs';

/** lstat (a link itself, never what it points to), or undefined when nothing has that path (any more). */
export async function lstatIfPresent(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
