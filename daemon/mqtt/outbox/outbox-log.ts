import { decodeRecords, RecordType } from './record-codec.js';
import { checkFormat } from '../../state-format.js';

/** A message waiting in the outbox for its PUBACK. */
export interface OutboxEntry {
  /** Unique id (the transcript id); the same on every publish attempt. */
  id: string;
  topic: string;
  /** The exact payload bytes to publish, as UTF-8 JSON. */
  payload: string;
  qos: 0 | 1;
  retain: boolean;
  /** When it entered the outbox, ms since the Unix epoch (for the age bound). */
  at: number;
}

export const LOG_FILE = 'outbox.log';
export const DROPS_FILE = 'drops.json';

export interface ReplayResult {
  /** Entries neither acknowledged nor dropped, in the order they were appended. */
  pending: Map<string, OutboxEntry>;
  /** Records of a type a later release wrote (see decodeRecords): the log is not this version's to rewrite. */
  unknown: Array<{ offset: number; type: number }>;
  /** Byte ranges that held no valid record (a torn tail after a crash, or damage). */
  skipped: Array<{ offset: number; length: number }>;
  /** End of the last valid record; the file can be truncated here. */
  validEnd: number;
  records: number;
}

function isEntry(d: unknown): d is OutboxEntry {
  const e = d as OutboxEntry;
  return typeof e === 'object' && e !== null && typeof e.id === 'string' && typeof e.topic === 'string' && typeof e.payload === 'string' && typeof e.at === 'number';
}

/** Rebuilds the pending set from the log: puts, minus acks and drops. */
export function replayLog(buf: Buffer): ReplayResult {
  const { records, unknown, skipped, validEnd } = decodeRecords(buf);
  const pending = new Map<string, OutboxEntry>();
  for (const r of records) {
    if (r.type === RecordType.Put) {
      if (isEntry(r.data) && !pending.has(r.data.id)) pending.set(r.data.id, { ...r.data, qos: r.data.qos === 0 ? 0 : 1, retain: r.data.retain === true });
    } else {
      const id = (r.data as { id?: unknown }).id;
      if (typeof id === 'string') pending.delete(id);
    }
  }
  return { pending, unknown, skipped, validEnd, records: records.length };
}

/** Losses since the outbox was created; kept in their own small file so compaction never resets them. */
export interface DropCounters {
  count: number;
  bytes: number;
  byReason: Record<string, number>;
  lastAt: string | null;
}

export function emptyDrops(): DropCounters {
  return { count: 0, bytes: 0, byReason: {}, lastAt: null };
}

/** Throws NewerFormatError for counters a later release wrote (state-format.ts). */
export function parseDrops(text: string, file: string): DropCounters {
  const d = JSON.parse(text) as Partial<DropCounters>;
  checkFormat(d, file);
  return {
    count: typeof d.count === 'number' ? d.count : 0,
    bytes: typeof d.bytes === 'number' ? d.bytes : 0,
    byReason: typeof d.byReason === 'object' && d.byReason !== null ? d.byReason : {},
    lastAt: typeof d.lastAt === 'string' ? d.lastAt : null,
  };
}
