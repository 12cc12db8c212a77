import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DROPS_FILE, emptyDrops, LOG_FILE, parseDrops, replayLog, type DropCounters, type OutboxEntry } from './outbox-log.js';
import { countRejected, rejectedDirOf } from './rejected-messages.js';

export interface OutboxStats {
  dir: string;
  /** Messages waiting for a PUBACK. */
  depth: number;
  /** Payload bytes of those messages. */
  bytes: number;
  /** Size of the log file on disk (pending plus acknowledged records not yet compacted). */
  fileBytes: number;
  oldest: { id: string; at: string; ageSec: number } | null;
  drops: DropCounters;
  /** Damaged bytes found in the log (a torn tail after a crash). */
  damagedBytes: number;
  /** Messages the broker can never take, kept as files in `dir` (also counted in drops). */
  rejected: { dir: string; count: number };
}

export function statsOf(dir: string, pending: Iterable<OutboxEntry>, fileBytes: number, drops: DropCounters, damagedBytes: number, rejected: number, now = Date.now()): OutboxStats {
  let depth = 0;
  let bytes = 0;
  let oldest: OutboxEntry | null = null;
  for (const e of pending) {
    depth += 1;
    bytes += Buffer.byteLength(e.payload);
    if (!oldest) oldest = e;
  }
  return {
    dir,
    depth,
    bytes,
    fileBytes,
    oldest: oldest ? { id: oldest.id, at: new Date(oldest.at).toISOString(), ageSec: Math.max(0, Math.round((now - oldest.at) / 1000)) } : null,
    drops,
    damagedBytes,
    rejected: { dir: rejectedDirOf(dir), count: rejected },
  };
}

/**
 * Reads an outbox directory without changing it, so `earshot outbox` works while the daemon
 * runs (or is stopped). A missing directory is an empty outbox.
 */
export function readOutboxStats(dir: string): OutboxStats {
  const logPath = join(dir, LOG_FILE);
  const dropsPath = join(dir, DROPS_FILE);
  const drops = existsSync(dropsPath) ? parseDrops(readFileSync(dropsPath, 'utf8'), dropsPath) : emptyDrops();
  const rejected = countRejected(dir);
  if (!existsSync(logPath)) return statsOf(dir, [], 0, drops, 0, rejected);
  const buf = readFileSync(logPath);
  const replay = replayLog(buf);
  const damaged = replay.skipped.reduce((n, s) => n + s.length, 0);
  return statsOf(dir, replay.pending.values(), statSync(logPath).size, drops, damaged, rejected);
}
