/**
 * Builds tar bytes header by header, for archives no tar program would write: devices made
 * without root, forged sizes, broken checksums, hostile pax records.
 */

export interface RawEntry {
  name: string;
  /** The type flag character; '0' by default. */
  type?: string;
  data?: Buffer | string;
  /** The size field as written, when it should lie about the data. */
  size?: number;
  /** Raw bytes for the 12-byte size field (base-256 forms). */
  sizeField?: Buffer;
  /** The ustar prefix field (POSIX magic only). */
  prefix?: string;
  /** Old GNU magic ("ustar  \0") instead of POSIX "ustar\0" "00". */
  gnuMagic?: boolean;
}

const CHKSUM = 148;

/** Recomputes a header's checksum field after its bytes were changed. */
export function fixChecksum(header: Buffer): void {
  header.fill(0x20, CHKSUM, CHKSUM + 8);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += header[i]!;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, CHKSUM, 'latin1');
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

export function rawHeader(entry: RawEntry): Buffer {
  const data = Buffer.from(entry.data ?? '');
  const header = Buffer.alloc(512);
  header.write(entry.name, 0, 100, 'utf8');
  header.write(octal(0o644, 8), 100, 'latin1');
  header.write(octal(0, 8), 108, 'latin1');
  header.write(octal(0, 8), 116, 'latin1');
  if (entry.sizeField) entry.sizeField.copy(header, 124);
  else header.write(octal(entry.size ?? data.length, 12), 124, 'latin1');
  header.write(octal(1_700_000_000, 12), 136, 'latin1');
  header.write(entry.type ?? '0', 156, 'latin1');
  header.write(entry.gnuMagic ? 'ustar  \0' : 'ustar\x0000', 257, 'latin1');
  if (entry.prefix) header.write(entry.prefix, 345, 155, 'utf8');
  fixChecksum(header);
  return header;
}

function padded(data: Buffer): Buffer {
  return Buffer.concat([data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
}

/** The entries with their data, then (unless `end` is false) the two zero blocks. */
export function rawTar(entries: RawEntry[], end = true): Buffer {
  const parts = entries.flatMap((entry) => [rawHeader(entry), padded(Buffer.from(entry.data ?? ''))]);
  if (end) parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** A pax extended header entry ('x') carrying these records, for the entry after it. */
export function paxEntry(records: Record<string, string>): RawEntry {
  const lines = Object.entries(records).map(([key, value]) => {
    const body = ` ${key}=${value}\n`;
    // the length counts its own digits: grow it until it is stable
    let length = Buffer.byteLength(body) + 1;
    while (String(length).length + Buffer.byteLength(body) !== length) length++;
    return `${length}${body}`;
  });
  return { name: 'PaxHeader', type: 'x', data: lines.join('') };
}
