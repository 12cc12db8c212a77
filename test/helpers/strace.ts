import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tempDir } from './paths.js';

/**
 * What reaches the disk cannot be seen from inside a test short of cutting the power: strace
 * shows whether a real process asked for it (fsync of the file, rename, fsync of its folder),
 * in the order that makes a write survive a power cut.
 */
export interface Traced {
  status: number | null;
  stderr: string;
  /** strace's log: one system call per line. */
  calls: string[];
}

/** Runs `argv` under strace, logging the system calls that open, write, sync, close and rename files. */
export function traceFileCalls(argv: string[]): Traced {
  const log = join(tempDir('earshot-strace-'), 'strace.txt');
  const run = spawnSync('strace', ['-f', '-e', 'trace=openat,write,fsync,close,rename,renameat,renameat2', '-o', log, ...argv], { encoding: 'utf8' });
  return { status: run.status, stderr: run.stderr, calls: readFileSync(log, 'utf8').split('\n') };
}

/** The line of the first call at or after `from` that `matches`; -1 if none. */
export function callAt(calls: string[], from: number, matches: (line: string) => boolean): number {
  return calls.findIndex((line, i) => i >= from && matches(line));
}

/** The file descriptor an openat on that line returned. */
export function fdOpened(calls: string[], at: number): string | undefined {
  return / = (\d+)$/.exec(calls[at] ?? '')?.[1];
}

/**
 * The line of the fsync of the fd opened by the first openat of `path` after `from`, while that
 * fd was still open (a later fsync of the same number is another file's); -1 if none.
 */
export function syncedAfterOpen(calls: string[], from: number, path: string): number {
  const opened = callAt(calls, from, (l) => l.includes(`openat(AT_FDCWD, "${path}"`));
  if (opened === -1) return -1;
  const fd = fdOpened(calls, opened);
  const next = callAt(calls, opened, (l) => l.includes(`fsync(${fd})`) || l.includes(`close(${fd})`));
  return next !== -1 && calls[next]!.includes('fsync(') ? next : -1;
}

/**
 * Why `path` was not replaced durably (null: it was): `<path>.tmp` written and fsynced, renamed
 * over `path`, then its folder fsynced.
 */
export function notReplacedDurably(calls: string[], path: string): string | null {
  const tmp = `${path}.tmp`;
  const tmpSynced = syncedAfterOpen(calls, 0, tmp);
  if (tmpSynced === -1) return `${tmp} was not fsynced`;
  const renamed = callAt(calls, tmpSynced, (l) => /rename(at2?)?\(/.test(l) && l.includes(`"${tmp}"`) && l.includes(`"${path}"`));
  if (renamed === -1) return `${tmp} was not renamed over ${path} after its fsync`;
  if (syncedAfterOpen(calls, renamed, dirname(path)) === -1) return `${dirname(path)} was not fsynced after the rename`;
  return null;
}
