/**
 * Unpacks model pack archives (.tar.bz2, .tar.gz, .tar.xz, .tar) with the system `tar`,
 * refusing entries that would land outside the target (absolute paths, `..`) and links, so
 * a hostile or broken archive cannot write anywhere but the staging directory.
 */
import { execFile } from 'node:child_process';
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

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

/** Entry names, checked for safety before anything is written. */
export async function listArchive(archive: string): Promise<string[]> {
  let stdout: string;
  try {
    ({ stdout } = await run('tar', ['-tvf', archive], { maxBuffer: 64 * 1024 * 1024 }));
  } catch (err) {
    throw tarError(archive, err);
  }
  const names: string[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.trim()) continue;
    const type = line[0];
    if (type === 'l' || type === 'h') throw new Error(`${archive}: contains a link (${line.trim()}); model packs hold plain files only`);
    // `tar -tv` ends the line with the name after the date and time columns
    const m = /\d\d:\d\d(?::\d\d)? (.*)$/.exec(line);
    const name = m?.[1] ?? line;
    if (name.startsWith('/') || name.split('/').includes('..')) {
      throw new Error(`${archive}: entry '${name}' would be written outside the model directory; refusing the archive`);
    }
    names.push(name);
  }
  if (names.length === 0) throw new Error(`${archive}: the archive is empty`);
  return names;
}

/** Extracts into dir (which must exist and be empty), after listArchive's checks. */
export async function extractArchive(archive: string, dir: string): Promise<void> {
  await listArchive(archive);
  try {
    await run('tar', ['-xf', archive, '-C', dir, '--no-same-owner', '--no-same-permissions'], { maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    throw tarError(archive, err);
  }
  assertPlainTree(dir, archive);
}

function assertPlainTree(dir: string, archive: string): void {
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    const st = lstatSync(p);
    if (st.isSymbolicLink()) throw new Error(`${archive}: unpacked a link (${entry}); model packs hold plain files only`);
    if (st.isDirectory()) assertPlainTree(p, archive);
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
