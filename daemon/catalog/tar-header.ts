/**
 * One 512-byte tar header, as POSIX ustar defines it (with the GNU and pax extensions read
 * by tar-entries.ts): https://pubs.opengroup.org/onlinepubs/9699919799/utilities/pax.html
 */

export const BLOCK = 512;

/** The archive's bytes are not a whole, well-formed tar; the caller adds the archive's name. */
export class TarFormatError extends Error {}

export interface TarHeader {
  /** `prefix/name` for ustar, `name` otherwise; pax and GNU long names replace it later. */
  path: string;
  /** The type flag as a character; NUL (old tars' regular file) is given as '0'. */
  type: string;
  size: number;
}

function text(block: Buffer, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? length : end).toString('utf8');
}

/**
 * A number field: octal digits padded with spaces or NULs, or (GNU, for sizes past 8 GiB)
 * base-256 with the top bit of the first byte set.
 */
export function numberField(block: Buffer, start: number, length: number, what: string): number {
  const field = block.subarray(start, start + length);
  if (field[0]! & 0x80) {
    if (field[0]! & 0x40) throw new TarFormatError(`the ${what} field is negative`);
    let value = field[0]! & 0x3f;
    for (const byte of field.subarray(1)) {
      value = value * 256 + byte;
      if (value > Number.MAX_SAFE_INTEGER) throw new TarFormatError(`the ${what} field is too large`);
    }
    return value;
  }
  const digits = field.toString('latin1').replace(/[\0 ]+$/, '').replace(/^[ ]+/, '');
  if (digits === '') return 0;
  if (!/^[0-7]+$/.test(digits)) throw new TarFormatError(`the ${what} field is not an octal number (${JSON.stringify(digits)})`);
  return parseInt(digits, 8);
}

/** True for the all-zero blocks that end an archive. */
export function isEndBlock(block: Buffer): boolean {
  return block.every((byte) => byte === 0);
}

/**
 * The checksum is the sum of the header's bytes with its own field read as spaces; some old
 * tars summed signed bytes, so either sum is accepted.
 */
function checksumMatches(block: Buffer): boolean {
  const stored = numberField(block, 148, 8, 'checksum');
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : block[i]!;
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  return stored === unsigned || stored === signed;
}

export function parseHeader(block: Buffer): TarHeader {
  if (!checksumMatches(block)) throw new TarFormatError('a header checksum does not match (not a tar archive, or a damaged one)');
  const name = text(block, 0, 100);
  const type = block[156] === 0 ? '0' : String.fromCharCode(block[156]!);
  const size = numberField(block, 124, 12, 'size');
  // "ustar\0" is POSIX, whose prefix field extends the name; old GNU tar wrote "ustar  \0"
  // and kept other data where POSIX has the prefix.
  const posix = block.toString('latin1', 257, 263) === 'ustar\0';
  const prefix = posix ? text(block, 345, 155) : '';
  return { path: prefix ? `${prefix}/${name}` : name, type, size };
}

/**
 * pax extended header records, `"<length> <key>=<value>\n"`, the length counting the whole
 * record. Only the keys this reader acts on matter; the rest are kept but unused.
 */
export function parsePaxRecords(data: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    const length = space === -1 ? NaN : Number(data.toString('latin1', at, space));
    if (!Number.isInteger(length) || length <= space - at + 1 || at + length > data.length || data[at + length - 1] !== 0x0a) {
      throw new TarFormatError(`a pax extended header record at byte ${at} is malformed`);
    }
    const record = data.toString('utf8', space + 1, at + length - 1);
    const equals = record.indexOf('=');
    if (equals <= 0) throw new TarFormatError(`a pax extended header record at byte ${at} has no key=value`);
    records.set(record.slice(0, equals), record.slice(equals + 1));
    at += length;
  }
  return records;
}
