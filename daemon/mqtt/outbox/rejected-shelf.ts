import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { rejectedDirOf, type RejectedMessage } from './rejected-messages.js';

/**
 * What an operator does with outbox/rejected/ (earshot outbox rejected|requeue|delete): list
 * it, and pick files by id, all, or by age. Reading is safe beside a running daemon (it only
 * adds files); putting back goes through the daemon's own outbox (OutboxStore.requeue).
 */

/** One kept message as listed: the file's fields without the payload, and its size. */
export interface RejectedListing extends Omit<RejectedMessage, 'payload'> {
  /** Payload bytes. */
  bytes: number;
  file: string;
}

export interface RejectedShelfListing {
  dir: string;
  rejected: RejectedListing[];
  /** Files in rejected/ that could not be read as a kept message, with why. */
  unreadable: Array<{ file: string; error: string }>;
}

/** Which kept messages an operator names: ids, all, or those rejected more than `olderThanDays` ago. */
export interface RejectedSelection {
  ids?: string[];
  all?: boolean;
  olderThanDays?: number;
}

/** What a requeue or a delete did: the ids it handled, and ids it did not find. */
export interface RejectedShelfResult {
  done: string[];
  missing: string[];
  errors: Array<{ id: string; error: string }>;
}

/** Reads one kept message; throws with the file named when it is not one. */
export function readRejected(file: string): RejectedMessage {
  const m = JSON.parse(readFileSync(file, 'utf8')) as Partial<RejectedMessage>;
  if (typeof m.id !== 'string' || typeof m.topic !== 'string' || typeof m.payload !== 'string') throw new Error(`${file} is not a rejected transcript (id, topic and payload are required)`);
  return { qos: 1, retain: false, at: '', rejectedAt: '', reason: 'too-large', detail: {}, ...m } as RejectedMessage;
}

/** Every kept message, oldest rejection first. */
export function listRejected(outboxDir: string): RejectedShelfListing {
  const dir = rejectedDirOf(outboxDir);
  const out: RejectedShelfListing = { dir, rejected: [], unreadable: [] };
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    const file = join(dir, name);
    try {
      const { payload, ...rest } = readRejected(file);
      out.rejected.push({ ...rest, bytes: Buffer.byteLength(payload), file });
    } catch (err) {
      out.unreadable.push({ file, error: (err as Error).message });
    }
  }
  out.rejected.sort((a, b) => a.rejectedAt.localeCompare(b.rejectedAt));
  return out;
}

/** The listed messages the selection names, and the ids it names that are not there. */
export function selectRejected(listing: RejectedShelfListing, sel: RejectedSelection, now = Date.now()): { chosen: RejectedListing[]; missing: string[] } {
  if (sel.all) return { chosen: listing.rejected, missing: [] };
  if (sel.olderThanDays !== undefined) {
    const before = now - sel.olderThanDays * 86_400_000;
    return { chosen: listing.rejected.filter((r) => Date.parse(r.rejectedAt) < before), missing: [] };
  }
  const ids = sel.ids ?? [];
  const byId = new Map(listing.rejected.map((r) => [r.id, r]));
  return { chosen: ids.flatMap((id) => byId.get(id) ?? []), missing: ids.filter((id) => !byId.has(id)) };
}

/**
 * Runs `action` on each kept message the selection names, one after the other: one that
 * fails is reported with why, and the rest go on.
 */
export async function actOnRejected(outboxDir: string, sel: RejectedSelection, action: (r: RejectedListing) => Promise<void>): Promise<RejectedShelfResult> {
  const { chosen, missing } = selectRejected(listRejected(outboxDir), sel);
  const result: RejectedShelfResult = { done: [], missing, errors: [] };
  for (const r of chosen) {
    try {
      await action(r);
      result.done.push(r.id);
    } catch (err) {
      result.errors.push({ id: r.id, error: (err as Error).message });
    }
  }
  return result;
}

/** Deletes the selected kept messages for good. */
export function deleteRejected(outboxDir: string, sel: RejectedSelection): Promise<RejectedShelfResult> {
  return actOnRejected(outboxDir, sel, (r) => unlink(r.file));
}

/** The JSON Schema of a selection, for the control methods. */
export const SELECTION_PARAMS = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    ids: { type: 'array', minItems: 1, maxItems: 100000, items: { type: 'string', minLength: 1 } },
    all: { const: true },
    olderThanDays: { type: 'number', minimum: 0 },
  },
};
