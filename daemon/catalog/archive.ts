/**
 * Unpacks model pack archives (.tar.bz2, .tar.gz, .tar.xz, .tar) with our own tar reader,
 * so it works the same on every box (macOS ships bsdtar, not GNU tar) and nothing but
 * regular files and directories is ever created: links, devices and FIFOs are refused, and
 * so is any name that would land outside the target (absolute paths, `..`). Each entry is
 * checked as it is read, so what is checked is what is written.
 */
import { createWriteStream, lstatSync, readdirSync } from 'node:fs';
import { mkdir, statfs } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { detectCompression, openTarStream } from './decompress.js';
import { ENTRY_TYPES, forEachTarEntry, type TarEntry } from './tar-entries.js';
import { TarFormatError } from './tar-header.js';

export const ARCHIVE_SUFFIXES = ['.tar.bz2', '.tbz2', '.tar.gz', '.tgz', '.tar.xz', '.txz', '.tar'];

export function isArchiveName(name: string): boolean {
  return ARCHIVE_SUFFIXES.some((s) => name.endsWith(s));
}

/** The archive name without its suffix: sherpa-onnx packs unpack to a directory of that name. */
export function stripArchiveSuffix(name: string): string {
  const s = ARCHIVE_SUFFIXES.find((x) => name.endsWith(x));
  return s ? name.slice(0, -s.length) : name;
}

/** Model packs hold a few dozen files; an archive with more is not one. */
export const MAX_ENTRIES = 10_000;
/** Space an install leaves free on the disk, for the recordings the daemon spools there. */
export const RESERVED_BYTES = 256 * 1024 * 1024;

const MB = 1024 * 1024;
/** A byte no model pack's file name needs, which would garble a log line or a listing. */
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/** Says in a message which entry was refused; a name with control characters is quoted. */
function shown(path: string): string {
  return CONTROL_CHARACTER.test(path) ? JSON.stringify(path) : `'${path}'`;
}

/**
 * Where the entry goes, relative to the target; undefined for the target itself (`./`).
 * Throws for anything that is not a regular file or directory inside the target.
 */
export function checkEntry(entry: TarEntry): string | undefined {
  const kind = ENTRY_TYPES[entry.type] ?? `of tar type '${entry.type}'`;
  if (kind !== 'a regular file' && kind !== 'a directory') {
    throw new Error(`entry ${shown(entry.path)} is ${kind}; model packs hold regular files and directories only`);
  }
  if (CONTROL_CHARACTER.test(entry.path)) {
    throw new Error(`entry ${shown(entry.path)} has a control character in its name; model packs do not`);
  }
  const parts = entry.path.split('/').filter((part) => part !== '' && part !== '.');
  if (entry.path.startsWith('/') || parts.includes('..')) {
    throw new Error(`entry ${shown(entry.path)} would be written outside the model directory; refusing the archive`);
  }
  return parts.length === 0 ? undefined : parts.join('/');
}

/** How many bytes of files may be unpacked under dir: its free space less the reserve. */
async function unpackBudget(dir: string): Promise<{ bytes: number; free: number }> {
  const disk = await statfs(dir);
  const free = disk.bavail * disk.bsize;
  return { bytes: free - RESERVED_BYTES, free };
}

async function writeFile(target: string, data: AsyncIterable<Buffer>): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  // 'wx': a name given twice in the archive, or a directory's name, is refused, not replaced
  await pipeline(Readable.from(data), createWriteStream(target, { flags: 'wx', mode: 0o644 }));
}

function describe(archive: string, err: unknown): Error {
  const message = (err as Error).message ?? String(err);
  if (err instanceof TarFormatError) return new Error(`${archive}: ${message}; the file is corrupt or incomplete, download it again`, { cause: err });
  return new Error(`${archive}: ${message}`, { cause: err });
}

/**
 * Unpacks archive into dir (which must exist and be empty). On an error, what was already
 * written stays in dir for the caller to remove with the rest of its staging directory.
 */
export async function extractArchive(archive: string, dir: string): Promise<void> {
  let stream;
  let compressed;
  try {
    compressed = (await detectCompression(archive)) !== 'none';
    stream = await openTarStream(archive);
  } catch (err) {
    throw describe(archive, err);
  }
  let entries = 0;
  let fileBytes = 0;
  try {
    const budget = await unpackBudget(dir);
    await forEachTarEntry(stream, async (entry, data) => {
      if (++entries > MAX_ENTRIES) throw new Error(`it holds more than ${MAX_ENTRIES} entries; model packs hold a few files`);
      const relative = checkEntry(entry);
      if (relative === undefined) return;
      const target = join(dir, relative);
      const isDirectory = ENTRY_TYPES[entry.type] === 'a directory';
      if (!isDirectory) {
        fileBytes += entry.size;
        if (fileBytes > budget.bytes) {
          throw new Error(
            `its files come to more than ${Math.ceil(fileBytes / MB)} MB, and ${Math.floor(budget.free / MB)} MB are free under ${dir}, of which ${RESERVED_BYTES / MB} MB are kept for recordings; free some space first`,
          );
        }
      }
      try {
        await (isDirectory ? mkdir(target, { recursive: true, mode: 0o755 }) : writeFile(target, data));
      } catch (err) {
        if (err instanceof TarFormatError) throw err;
        throw new Error(`cannot unpack entry ${shown(entry.path)}: ${(err as Error).message}`, { cause: err });
      }
    }, { endRequired: !compressed });
  } catch (err) {
    throw describe(archive, err);
  } finally {
    await stream.return(undefined);
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
