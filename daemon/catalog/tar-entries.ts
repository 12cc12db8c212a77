/**
 * Walks the entries of an uncompressed tar stream: ustar, GNU (long names, base-256 sizes)
 * and pax (per-entry `path` and `size`). Meta entries are applied to the entry they
 * describe and never shown; every other entry, whatever its type, is handed to the visitor,
 * which decides what to accept.
 */
import { ByteReader } from './byte-reader.js';
import { BLOCK, TarFormatError, isEndBlock, parseHeader, parsePaxRecords } from './tar-header.js';

export interface TarEntry {
  path: string;
  /** The type flag: '0' regular file, '5' directory, '2' symbolic link … (see ENTRY_TYPES). */
  type: string;
  size: number;
}

/** What each type flag is, as an error message says it. */
export const ENTRY_TYPES: Record<string, string> = {
  '0': 'a regular file',
  '7': 'a regular file', // "contiguous", which no tar treats differently
  '5': 'a directory',
  '1': 'a hard link',
  '2': 'a symbolic link',
  '3': 'a character device',
  '4': 'a block device',
  '6': 'a FIFO',
  S: 'a GNU sparse file',
  V: 'a GNU volume label',
  M: 'a GNU multi-volume continuation',
  D: 'a GNU dump directory',
};

/** Bigger pax records or long names than this are hostile, not model packs. */
const MAX_META_BYTES = 1024 * 1024;
/** How much after the end blocks is read; beyond this it is not ours to judge. */
const MAX_TAIL_BYTES = 1024 * 1024;

type Visitor = (entry: TarEntry, data: AsyncIterable<Buffer>) => Promise<void>;

function endsInside(what: string): TarFormatError {
  return new TarFormatError(`the archive ends inside ${what}; it is incomplete`);
}

async function readExactly(reader: ByteReader, n: number, what: string): Promise<Buffer> {
  const bytes = await reader.read(n);
  if (bytes.length < n) throw endsInside(what);
  return bytes;
}

function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/** Overrides the next header takes from the pax or GNU meta entries before it. */
interface Pending {
  path?: string;
  size?: number;
}

function applyPax(pending: Pending, records: Map<string, string>): void {
  if ([...records.keys()].some((key) => key.startsWith('GNU.sparse.'))) {
    throw new TarFormatError('an entry is a GNU sparse file (pax GNU.sparse records), which this reader does not unpack');
  }
  const path = records.get('path');
  if (path) pending.path = path;
  const size = records.get('size');
  if (size !== undefined) {
    if (!/^\d+$/.test(size) || !Number.isSafeInteger(Number(size))) throw new TarFormatError(`a pax size record is not a whole number (${JSON.stringify(size)})`);
    pending.size = Number(size);
  }
}

export interface TarReadOptions {
  /**
   * The stream must end with the end-of-archive blocks. Every tar writer puts them there;
   * for a plain .tar they are the only sign that a copy was not cut at an entry boundary
   * (a compressed one has its decompressor's checks). Without this, the end of the stream
   * after a whole entry is accepted too, as GNU tar does.
   */
  endRequired?: boolean;
}

/**
 * Calls `visit` for each entry in order. `data` yields exactly the entry's bytes; whatever
 * the visitor leaves unread is skipped. Ends at the end-of-archive blocks.
 */
export async function forEachTarEntry(chunks: AsyncIterable<Buffer>, visit: Visitor, options: TarReadOptions = {}): Promise<void> {
  const reader = new ByteReader(chunks[Symbol.asyncIterator]());
  let pending: Pending = {};
  let count = 0;
  let lastPath = '';
  for (;;) {
    const block = await reader.read(BLOCK);
    if (block.length === 0 && count > 0 && !pending.path && pending.size === undefined) {
      if (!options.endRequired) return;
      throw new TarFormatError(`the archive stops after entry '${lastPath}' without the blocks that end every tar archive; it was cut short`);
    }
    if (block.length < BLOCK) throw count === 0 ? new TarFormatError('the archive is empty or is not a tar archive') : endsInside('a header');
    if (isEndBlock(block)) {
      if (count === 0) throw new TarFormatError('the archive is empty');
      // Read on through the padding after the end (tar fills whole 10 KiB records), so that
      // a decompressor failing on the last bytes, a damaged checksum say, is still heard.
      await reader.read(MAX_TAIL_BYTES);
      return;
    }
    const header = parseHeader(block);
    if (header.type === 'x' || header.type === 'g' || header.type === 'L' || header.type === 'K') {
      const metaSize = header.size;
      if (metaSize > MAX_META_BYTES) throw new TarFormatError(`a ${header.type} meta entry holds ${metaSize} bytes, more than any real archive needs`);
      const data = await readExactly(reader, metaSize + padding(metaSize), 'a meta entry');
      const body = data.subarray(0, metaSize);
      // 'g' (pax global) and 'K' (GNU long link target) change nothing this reader keeps.
      if (header.type === 'x') applyPax(pending, parsePaxRecords(body));
      if (header.type === 'L') pending.path = body.toString('utf8').replace(/\0+$/, '');
      continue;
    }
    count++; // meta entries alone do not make an archive
    const path = pending.path ?? header.path;
    const size = pending.size ?? header.size;
    // Pre-POSIX tars marked a directory only by the slash that ends its name.
    const type = header.type === '0' && path.endsWith('/') ? '5' : header.type;
    const entry: TarEntry = { path, type, size };
    lastPath = path;
    pending = {};
    // A directory has no data, whatever its size field says.
    const stored = type === '5' ? 0 : size;
    let left = stored;
    const where = `entry '${path}'`;
    async function* data(): AsyncGenerator<Buffer> {
      while (left > 0) {
        const part = await reader.readSome(left);
        if (part.length === 0) throw endsInside(where);
        left -= part.length;
        yield part;
      }
    }
    await visit(entry, data());
    for await (const part of data()) void part; // skip what the visitor did not read
    await readExactly(reader, padding(stored), where);
  }
}
