/**
 * Unpacks model pack archives (.tar.bz2, .tar.gz, .tar.xz, .tar) with the system `tar`,
 * refusing entries that would land outside the target (absolute paths, `..`) and anything but
 * regular files and directories (links, devices, FIFOs), so a hostile or broken archive cannot
 * write anywhere but the staging directory nor plant something that is not data.
 */
import { execFile } from 'node:child_process';
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileKind } from '../file-kind.js';
import { unlockDir } from './work-dirs.js';

const run = promisify(execFile);

export const ARCHIVE_SUFFIXES = ['.tar.bz2', '.tbz2', '.tar.gz', '.tgz', '.tar.xz', '.txz', '.tar'];

export function isArchiveName(name: string): boolean {
  return ARCHIVE_SUFFIXES.some((s) => name.endsWith(s));
}

/** The archive name without its suffix: sherpa-onnx packs unpack to a directory of that name. */
export function stripArchiveSuffix(name: string): string {
  const s = ARCHIVE_SUFFIXES.find((x) => name.endsWith(x));
  return s ? name.slice(0, -s.length) : name;
}

function tarError(archive: string, err: unknown): Error {
  const stderr = String((err as { stderr?: string }).stderr ?? (err as Error).message).trim().split('\n').slice(0, 3).join('; ');
  return new Error(`${archive}: not a readable tar archive (tar: ${stderr}); the file is corrupt or incomplete, download it again`);
}

/** How `tar -tv` marks an entry type (its first column), and what to call it in an error. */
const ENTRY_KINDS: Record<string, string> = {
  l: 'a symbolic link',
  h: 'a hard link',
  c: 'a character device',
  b: 'a block device',
  p: 'a FIFO',
  s: 'a socket',
};

function describeKind(type: string): string {
  return ENTRY_KINDS[type] ?? `of tar type '${type}'`;
}

function nonEmptyLines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}

/**
 * Checks a pack's listing: `names` from `tar -t` (one escaped name a line) and `verbose`
 * from `tar -tv` (read for its type column only). Names are never parsed out of `-tv`,
 * whose owner and group columns an archive controls (a group named `12:00` shifts the
 * columns); the two listings must line up entry for entry or the archive is refused.
 */
export function checkListing(archive: string, names: string, verbose: string): string[] {
  const nameLines = nonEmptyLines(names);
  const typeLines = nonEmptyLines(verbose);
  if (nameLines.length !== typeLines.length) {
    throw new Error(
      `${archive}: tar lists ${nameLines.length} names but ${typeLines.length} entry lines (an owner or group name with a line break?); the archive headers are malformed, refusing it`,
    );
  }
  if (nameLines.length === 0) throw new Error(`${archive}: the archive is empty`);
  nameLines.forEach((name, i) => {
    const type = typeLines[i]![0]!;
    if (type !== '-' && type !== 'd') {
      throw new Error(`${archive}: entry '${name}' is ${describeKind(type)}; model packs hold regular files and directories only`);
    }
    if (name.startsWith('/') || name.split('/').includes('..')) {
      throw new Error(`${archive}: entry '${name}' would be written outside the model directory; refusing the archive`);
    }
  });
  return nameLines;
}

async function tarList(archive: string, flags: string[]): Promise<string> {
  try {
    // escape quoting keeps a name with a line break on one line (GNU tar)
    const { stdout } = await run('tar', [...flags, '--quoting-style=escape', '-f', archive], { maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    throw tarError(archive, err);
  }
}

/** Entry names, checked for safety before anything is written. */
export async function listArchive(archive: string): Promise<string[]> {
  const names = await tarList(archive, ['-t']);
  const verbose = await tarList(archive, ['-tv', '--numeric-owner']);
  return checkListing(archive, names, verbose);
}

/** Extracts into dir (which must exist and be empty), after listArchive's checks. */
export async function extractArchive(archive: string, dir: string): Promise<void> {
  await listArchive(archive);
  try {
    await run('tar', ['-xf', archive, '-C', dir, '--no-same-owner', '--no-same-permissions'], { maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    throw tarError(archive, err);
  }
  checkPlainTree(dir, archive);
}

/**
 * Refuses anything under dir that is not a regular file or a directory, whatever the listing
 * said (a second line of defence: tar's listing and extraction are separate reads). A FIFO
 * left in place would block the sha256 of the model files forever.
 */
export function checkPlainTree(dir: string, archive: string, under = ''): void {
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    const shown = under ? `${under}/${entry}` : entry;
    const st = lstatSync(p);
    if (st.isDirectory()) {
      // a pack's directory modes must not lock us out of checking (or removing) our own staging tree
      unlockDir(p, st);
      checkPlainTree(p, archive, shown);
    } else if (!st.isFile()) {
      throw new Error(`${archive}: unpacked '${shown}', ${fileKind(st)}; model packs hold regular files and directories only`);
    }
  }
}

/**
 * The directory that holds the model: sherpa-onnx packs put everything under one top
 * directory; a pack made by hand may have the files at the top.
 */
export function modelRoot(dir: string): string {
  const entries = readdirSync(dir);
  if (entries.length === 1 && lstatSync(join(dir, entries[0]!)).isDirectory()) return join(dir, entries[0]!);
  return dir;
}
