import { crc32 } from 'node:zlib';

/**
 * On-disk framing of outbox records, so that a crash in the middle of a write is detected:
 *
 *   magic (2 bytes, 0xE5 0x0B) | body length (u32 LE) | CRC-32 of body (u32 LE) | body
 *   body = record type (1 byte) | UTF-8 JSON
 *
 * A reader that meets a short or CRC-failing record skips forward to the next magic that
 * starts a valid record, and reports the bytes it skipped (a torn tail is the usual case).
 * A whole record of a type it does not know is not damage but a later release's: it is
 * reported apart (`unknown`), so that it is never skipped and compacted away.
 */
export const RECORD_MAGIC = Buffer.from([0xe5, 0x0b]);
const HEADER = 10;
/** No single record is this big; a larger length field means garbage, not a record. */
const MAX_BODY = 64 * 1024 * 1024;

export const RecordType = {
  /** A message to publish. */
  Put: 1,
  /** The broker acknowledged it (PUBACK); it leaves the outbox. */
  Ack: 2,
  /** Dropped by a bound (bytes or age); counted as a loss. */
  Drop: 3,
} as const;
export type RecordType = (typeof RecordType)[keyof typeof RecordType];

export interface DecodedRecord {
  type: RecordType;
  data: unknown;
  /** Offset of the record's first byte in the buffer. */
  offset: number;
}

export interface DecodeResult {
  records: DecodedRecord[];
  /** Whole records (framing and CRC good) of a type this version does not know, in order. */
  unknown: Array<{ offset: number; type: number }>;
  /** Byte ranges that did not hold a valid record, in order. */
  skipped: Array<{ offset: number; length: number }>;
  /** End of the last valid record: everything after it is a torn tail. */
  validEnd: number;
}

export function encodeRecord(type: RecordType, data: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(data), 'utf8');
  const body = Buffer.allocUnsafe(1 + json.length);
  body[0] = type;
  json.copy(body, 1);
  const header = Buffer.allocUnsafe(HEADER);
  RECORD_MAGIC.copy(header, 0);
  header.writeUInt32LE(body.length, 2);
  header.writeUInt32LE(crc32(body), 6);
  return Buffer.concat([header, body]);
}

/**
 * The record starting at `offset`, of any type, or null if there is none (torn, corrupt, or
 * not a record).
 */
function readAt(buf: Buffer, offset: number): { record: Omit<DecodedRecord, 'type'> & { type: number }; end: number } | null {
  if (offset + HEADER > buf.length) return null;
  if (buf[offset] !== RECORD_MAGIC[0] || buf[offset + 1] !== RECORD_MAGIC[1]) return null;
  const length = buf.readUInt32LE(offset + 2);
  if (length < 1 || length > MAX_BODY || offset + HEADER + length > buf.length) return null;
  const body = buf.subarray(offset + HEADER, offset + HEADER + length);
  if (crc32(body) !== buf.readUInt32LE(offset + 6)) return null;
  const type = body[0]!;
  let data: unknown;
  try {
    data = JSON.parse(body.subarray(1).toString('utf8'));
  } catch {
    return null;
  }
  return { record: { type, data, offset }, end: offset + HEADER + length };
}

export function decodeRecords(buf: Buffer): DecodeResult {
  const records: DecodedRecord[] = [];
  const unknown: DecodeResult['unknown'] = [];
  const skipped: Array<{ offset: number; length: number }> = [];
  let offset = 0;
  let validEnd = 0;
  while (offset < buf.length) {
    const hit = readAt(buf, offset);
    if (hit) {
      const { type } = hit.record;
      if (isKnownType(type)) records.push({ ...hit.record, type });
      else unknown.push({ offset, type });
      offset = hit.end;
      validEnd = hit.end;
      continue;
    }
    // Resynchronize: the next magic that starts a valid record.
    let next = buf.indexOf(RECORD_MAGIC, offset + 1);
    while (next !== -1 && !readAt(buf, next)) next = buf.indexOf(RECORD_MAGIC, next + 1);
    const end = next === -1 ? buf.length : next;
    skipped.push({ offset, length: end - offset });
    offset = end;
  }
  return { records, unknown, skipped, validEnd };
}

function isKnownType(type: number): type is RecordType {
  return (Object.values(RecordType) as number[]).includes(type);
}
