import { existsSync, readdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeDurable } from '../../scheduler/durable-file.js';
import type { OutboxEntry } from './outbox-log.js';

/**
 * Messages the broker can never take (a PUBLISH over its maximum packet size, or one it closed
 * the connection on each time it was sent: silent-refusals.ts) leave the
 * outbox, so they stop holding up the ones after them, but they are not thrown away: each is
 * kept as one JSON file in `<outbox>/rejected/`, with why, for an operator to read or publish
 * by other means.
 */
const REJECTED_DIR = 'rejected';

/** `<outboxDir>/rejected`: where messages the broker will not take are kept. */
export function rejectedDirOf(outboxDir: string): string {
  return join(outboxDir, REJECTED_DIR);
}

export type RejectReason = 'too-large' | 'connection-closed';

/** What a file in rejected/ holds: the entry as it was in the outbox, and why it left. */
export interface RejectedMessage {
  id: string;
  topic: string;
  qos: 0 | 1;
  retain: boolean;
  /** When it entered the outbox. */
  at: string;
  rejectedAt: string;
  reason: RejectReason;
  /** The numbers behind the reason (packet bytes and the broker's limit). */
  detail: Record<string, number | string>;
  /** The exact payload that was to be published (UTF-8 JSON text). */
  payload: string;
}

/** A file name from a message id: ids are the daemon's own, but a path must not come from one unchecked. */
function fileNameOf(id: string): string {
  return `${id.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_')}.json`;
}

/** Writes the message to rejected/ durably (fsync of the file and the directory); resolves with its path. */
export async function keepRejected(outboxDir: string, entry: OutboxEntry, reason: RejectReason, detail: RejectedMessage['detail']): Promise<string> {
  const dir = rejectedDirOf(outboxDir);
  await mkdir(dir, { recursive: true, mode: 0o750 });
  const file = join(dir, fileNameOf(entry.id));
  const record: RejectedMessage = {
    id: entry.id,
    topic: entry.topic,
    qos: entry.qos,
    retain: entry.retain,
    at: new Date(entry.at).toISOString(),
    rejectedAt: new Date().toISOString(),
    reason,
    detail,
    payload: entry.payload,
  };
  // Durable before the outbox records the drop: a crash between them leaves the message here
  // and still in the outbox (set aside again at the next start), never in neither. Not
  // writeFile's `flush` option: Node 20.0–20.9 ignore it (package.json engines: >=20).
  await writeDurable(dir, file, JSON.stringify(record, null, 2) + '\n');
  return file;
}

/** How many messages rejected/ holds (0 when there is none). */
export function countRejected(outboxDir: string): number {
  const dir = rejectedDirOf(outboxDir);
  if (!existsSync(dir)) return 0;
  return readdirSync(dir).filter((f) => f.endsWith('.json')).length;
}
