/**
 * The uncompressed bytes of a tar archive, whatever it was packed with. The compression is
 * told by the file's first bytes, not its name. gzip is undone in-process; bzip2 (what
 * sherpa-onnx packs use) and xz by their own programs, which read faster than any JavaScript
 * port (Debian ships both; macOS ships bzip2, and xz comes with Homebrew).
 */
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { TarFormatError } from './tar-header.js';

export type Compression = 'gzip' | 'bzip2' | 'xz' | 'zstd' | 'none';

const MAGIC: [Exclude<Compression, 'none'>, number[]][] = [
  ['gzip', [0x1f, 0x8b]],
  ['bzip2', [0x42, 0x5a, 0x68]], // "BZh"
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
];

/** The programs that undo bzip2 and xz, and the Debian package each comes in. */
const PROGRAMS = { bzip2: { program: 'bzip2', debian: 'bzip2' }, xz: { program: 'xz', debian: 'xz-utils' } } as const;

/**
 * An archive's bytes in order. Nothing is opened or started until the first bytes are asked
 * for, so no stream can fail, or a child write and exit, before someone listens; return()
 * stops the decompressor and closes the file, whenever it is called.
 */
export type TarStream = AsyncGenerator<Buffer, void, undefined>;

/** How `archive` is compressed, by its first bytes ('none': a plain tar, or not an archive). */
export async function detectCompression(archive: string): Promise<Compression> {
  const file = await open(archive, 'r');
  try {
    const head = Buffer.alloc(6);
    const { bytesRead } = await file.read(head, 0, head.length, 0);
    const found = MAGIC.find(([, magic]) => bytesRead >= magic.length && magic.every((byte, i) => head[i] === byte));
    return found ? found[0] : 'none';
  } finally {
    await file.close();
  }
}

async function* gunzipped(archive: string): TarStream {
  const file = createReadStream(archive);
  // 256 KiB steps rather than zlib's 16 KiB: a quarter of the round trips to its thread
  const gunzip = createGunzip({ chunkSize: 256 * 1024 });
  file.on('error', (err) => gunzip.destroy(err));
  file.pipe(gunzip);
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code?.startsWith('Z_')) throw new TarFormatError(`not a readable gzip stream (zlib: ${(err as Error).message})`);
    throw err;
  } finally {
    file.destroy();
    gunzip.destroy();
  }
}

async function* byProgram(archive: string, compression: keyof typeof PROGRAMS): TarStream {
  const { program, debian } = PROGRAMS[compression];
  const child = spawn(program, ['-dc'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    if (stderr.length < 4096) stderr += text;
  });
  const ended = new Promise<{ code: number | null; spawnError?: NodeJS.ErrnoException }>((resolve) => {
    child.once('error', (err: NodeJS.ErrnoException) => resolve({ code: null, spawnError: err }));
    child.once('close', (code) => resolve({ code }));
  });
  const input = createReadStream(archive);
  let readError: Error | undefined;
  input.once('error', (err) => {
    readError = err;
    child.kill('SIGKILL');
  });
  // EPIPE when the decompressor stops early; its exit status says why
  child.stdin.on('error', () => undefined);
  input.pipe(child.stdin);
  try {
    // Read at once: when a child exits, Node resumes (and so drops) any of its output
    // streams that nothing reads yet (flushStdio; nodejs/node#5034), and a small pack is
    // decompressed in no time.
    for await (const chunk of child.stdout) yield chunk as Buffer;
    const { code, spawnError } = await ended;
    if (readError) throw new Error(`cannot read it: ${readError.message}`);
    if (spawnError?.code === 'ENOENT') {
      throw new Error(`unpacking a ${compression} archive needs the ${program} program, which is not installed (Debian: apt-get install ${debian})`);
    }
    if (spawnError) throw new Error(`cannot run ${program}: ${spawnError.message}`);
    if (code !== 0) {
      // its first line says what is wrong; the rest is advice about its own command line
      const said = stderr.split('\n').map((line) => line.trim()).find(Boolean)?.replace(`${program}: `, '').replace('(stdin): ', '').replace(/;$/, '') ?? `exit status ${code}`;
      throw new TarFormatError(`not a readable ${compression} stream (${program}: ${said})`);
    }
  } finally {
    input.destroy();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const pipe of [child.stdin, child.stdout, child.stderr]) pipe.destroy();
  }
}

async function* plain(archive: string): TarStream {
  const file = createReadStream(archive);
  try {
    for await (const chunk of file) yield chunk as Buffer;
  } finally {
    file.destroy();
  }
}

/** Opens `archive` for reading as a tar stream, undoing gzip, bzip2 or xz. */
export async function openTarStream(archive: string): Promise<TarStream> {
  const compression = await detectCompression(archive);
  if (compression === 'zstd') {
    throw new Error('it is compressed with zstd, which model packs do not use; repack it as .tar.bz2, .tar.gz or .tar.xz');
  }
  if (compression === 'gzip') return gunzipped(archive);
  if (compression === 'bzip2' || compression === 'xz') return byProgram(archive, compression);
  return plain(archive);
}
