import { mkdir, open, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../log/logger.js';
import type { MqttOutboxConfig } from '../config.js';
import { encodeRecord, RecordType } from './record-codec.js';
import { DROPS_FILE, emptyDrops, LOG_FILE, parseDrops, replayLog, type DropCounters, type OutboxEntry, type ReplayResult } from './outbox-log.js';
import { statsOf, type OutboxStats } from './outbox-stats.js';
import { writeDurable } from '../../scheduler/durable-file.js';
import { countRejected, keepRejected, type RejectedMessage, type RejectReason } from './rejected-messages.js';
import { actOnRejected, deleteRejected, readRejected, type RejectedSelection, type RejectedShelfResult } from './rejected-shelf.js';
import { ConfigFileError } from '../../config/errors.js';
import { NewerFormatError, refuseNewerState, withFormat } from '../../state-format.js';

export interface OutboxStoreOptions {
  /** Directory of the outbox (`<dataDir>/outbox`); created if missing. */
  dir: string;
  /** Pending payload bytes beyond this push the oldest entries out. */
  maxBytes: number;
  /** Entries older than this are dropped; 0 = no age limit. */
  maxAgeMs: number;
  logger: Logger;
}

/** The outbox's folder in the data directory. */
export function outboxDirIn(dataDir: string): string {
  return join(dataDir, 'outbox');
}

/** The store of `<dataDir>/outbox` with the config's bounds: the daemon's, or the CLI's when no daemon runs. */
export function outboxStoreFor(dataDir: string, config: MqttOutboxConfig, logger: Logger): OutboxStore {
  return new OutboxStore({ dir: outboxDirIn(dataDir), maxBytes: config.maxBytes, maxAgeMs: config.maxAgeHours * 3600_000, logger });
}

export type DropReason = 'max-bytes' | 'max-age' | RejectReason;

/** What the operator can do about each kind of loss. */
export const DROP_HINTS: Record<DropReason, string> = {
  'max-bytes': 'raise mqtt.outbox.maxBytes or fix the broker connection',
  'max-age': 'raise mqtt.outbox.maxAgeHours or fix the broker connection',
  'too-large': "raise the broker's maximum packet size (Mosquitto: max_packet_size, or message_size_limit for the payload), or shorten the recordings that make such long transcripts; `earshot outbox requeue` sends it again once the broker takes it",
  'connection-closed':
    "the broker probably refuses its size: set mqtt.maxPacketBytes to the broker's limit (Mosquitto: max_packet_size), so that such transcripts are set aside before they are sent, or raise that limit; then `earshot outbox requeue` sends it again",
};

/** Rewrite the log when it is this much bigger than what is still pending. */
const COMPACT_MIN_BYTES = 1024 * 1024;
const COMPACT_RATIO = 4;

interface QueuedWrite {
  buf: Buffer;
  sync: boolean;
  /** Runs right after the write is durable, before anything else looks at the pending set. */
  onDurable?: () => void;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * The durable outbox: an append-only log of framed records (see record-codec.ts). An entry
 * is on disk (fsync) before `append()` resolves, and leaves only by `ack()` (the broker's
 * PUBACK) or by a bound, which is logged and counted in drops.json. Writes from concurrent
 * appends are grouped into one write and one fsync (group commit), so a burst of transcripts
 * costs one disk flush, not one each.
 */
export class OutboxStore {
  private readonly createdWallMs = Date.now();
  private readonly createdMonoMs = performance.now();
  private fh: FileHandle | null = null;
  private readonly pending = new Map<string, OutboxEntry>();
  private pendingBytes = 0;
  private fileBytes = 0;
  private damagedBytes = 0;
  private rejectedCount = 0;
  private drops: DropCounters = emptyDrops();
  private queue: QueuedWrite[] = [];
  private flushing: Promise<void> | null = null;
  private dropsWrite: Promise<void> = Promise.resolve();
  private readonly dropListeners: Array<(entry: OutboxEntry, reason: DropReason) => void> = [];

  constructor(private readonly options: OutboxStoreOptions) {}

  get dir(): string {
    return this.options.dir;
  }

  private get logPath(): string {
    return join(this.options.dir, LOG_FILE);
  }

  async open(): Promise<void> {
    try {
      await this.openLog();
    } catch (err) {
      if (err instanceof ConfigFileError) throw err;
      throw new Error(`cannot open the MQTT outbox in ${this.options.dir}: ${(err as Error).message}; the daemon's user must be able to write dataDir (systemd StateDirectory)`);
    }
  }

  private async openLog(): Promise<void> {
    const { dir, logger } = this.options;
    await mkdir(dir, { recursive: true, mode: 0o750 });
    const dropsPath = join(dir, DROPS_FILE);
    if (existsSync(dropsPath)) {
      try {
        this.drops = parseDrops(await readFile(dropsPath, 'utf8'), dropsPath);
      } catch (err) {
        // Counted by a later release: written over with this one's counts, they would be lost.
        if (err instanceof NewerFormatError) throw refuseNewerState(err, 'the counts of undelivered transcripts dropped, for `earshot outbox`');
        logger.warn('outbox drop counters unreadable; starting them again', { file: dropsPath, err });
      }
    }
    this.rejectedCount = countRejected(dir);
    const buf = existsSync(this.logPath) ? await readFile(this.logPath) : Buffer.alloc(0);
    const replay = replayLog(buf);
    if (replay.unknown.length > 0) throw newerLogError(this.logPath, replay.unknown);
    for (const e of replay.pending.values()) this.track(e);
    this.damagedBytes = replay.skipped.reduce((n, s) => n + s.length, 0);
    for (const s of replay.skipped) {
      const tail = s.offset + s.length === buf.length;
      logger.warn(tail ? 'outbox: torn last record skipped (a crash during a write)' : 'outbox: damaged bytes skipped', {
        file: this.logPath,
        offset: s.offset,
        bytes: s.length,
      });
    }
    this.fh = await open(this.logPath, 'a', 0o640);
    this.fileBytes = buf.length;
    // Rewrite at once when damaged, so new records never follow garbage.
    if (replay.skipped.length > 0) await this.rewrite();
    if (this.pending.size > 0) logger.info('outbox: pending messages from the last run', { depth: this.pending.size, bytes: this.pendingBytes });
  }

  /**
   * Appends and fsyncs an entry. Resolves false (and writes nothing) when an entry with the
   * same id is already pending — the same job transcribed again after a crash.
   */
  async append(entry: Omit<OutboxEntry, 'at'> & { at?: number }): Promise<boolean> {
    if (!this.fh) throw new Error('outbox is not open');
    if (this.pending.has(entry.id)) return false;
    const full: OutboxEntry = { id: entry.id, topic: entry.topic, payload: entry.payload, qos: entry.qos, retain: entry.retain, at: entry.at ?? Date.now() };
    const buf = encodeRecord(RecordType.Put, full);
    // Track only once durable: a publisher must never send what a crash could forget.
    await this.enqueue(buf, true, () => {
      if (!this.pending.has(full.id)) this.track(full);
    });
    this.enforceBytes();
    return true;
  }

  /** The broker acknowledged the message: it leaves the outbox (the ack record needs no fsync; a lost one only means a duplicate). */
  ack(id: string): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.untrack(entry);
    this.enqueue(encodeRecord(RecordType.Ack, { id }), false).catch((err) => this.options.logger.warn('outbox: could not record an ack', { id, err }));
  }

  /**
   * Takes out an entry the broker can never accept (see rejected-messages.ts): it is written
   * to rejected/ first, durably, and only then leaves the log as a counted drop, so a crash in
   * between keeps it pending rather than losing it. Resolves with the file that keeps it.
   */
  async reject(id: string, reason: RejectReason, detail: RejectedMessage['detail']): Promise<string> {
    const entry = this.pending.get(id);
    if (!entry) throw new Error(`outbox: ${id} is not pending`);
    const file = await keepRejected(this.options.dir, entry, reason, detail);
    this.rejectedCount += 1;
    // It may have left meanwhile (acked, or pushed out by a bound): it is kept all the same.
    if (this.pending.get(id) === entry) this.drop([entry], reason, { quiet: true });
    return file;
  }

  /**
   * Puts kept messages back (after the operator raised the broker's limit): each is appended,
   * durably, with its own id and payload, and only then is its file removed, so a crash in
   * between leaves it in both (sent once, then a duplicate file), never in neither. It counts
   * as new for the age bound: it was waiting for the operator, not for the broker.
   */
  async requeue(sel: RejectedSelection): Promise<RejectedShelfResult> {
    const result = await actOnRejected(this.options.dir, sel, async (r) => {
      const m = readRejected(r.file);
      await this.append({ id: m.id, topic: m.topic, payload: m.payload, qos: m.qos, retain: m.retain });
      await unlink(r.file);
    });
    this.rejectedCount = countRejected(this.options.dir);
    return result;
  }

  /** Deletes kept messages for good. */
  async deleteRejected(sel: RejectedSelection): Promise<RejectedShelfResult> {
    const result = await deleteRejected(this.options.dir, sel);
    this.rejectedCount = countRejected(this.options.dir);
    return result;
  }

  /**
   * Drops entries older than the age bound; returns how many. "Now" advances with the
   * monotonic clock from when this store was created, so an NTP step (a box without a
   * real-time clock that boots in the past and then syncs) cannot age everything at once.
   */
  expire(now = this.steadyNow()): number {
    if (this.options.maxAgeMs <= 0) return 0;
    const dropped: OutboxEntry[] = [];
    for (const e of this.pending.values()) {
      if (now - e.at <= this.options.maxAgeMs) break;
      dropped.push(e);
    }
    this.drop(dropped, 'max-age');
    return dropped.length;
  }

  /** Wall-clock time as of creation, advanced by the monotonic clock: immune to clock steps. */
  private steadyNow(): number {
    return this.createdWallMs + (performance.now() - this.createdMonoMs);
  }

  /** Pending entries, oldest first. */
  entries(): IterableIterator<OutboxEntry> {
    return this.pending.values();
  }

  has(id: string): boolean {
    return this.pending.has(id);
  }

  get depth(): number {
    return this.pending.size;
  }

  onDrop(fn: (entry: OutboxEntry, reason: DropReason) => void): void {
    this.dropListeners.push(fn);
  }

  offDrop(fn: (entry: OutboxEntry, reason: DropReason) => void): void {
    const i = this.dropListeners.indexOf(fn);
    if (i >= 0) this.dropListeners.splice(i, 1);
  }

  stats(now = Date.now()): OutboxStats {
    return statsOf(this.options.dir, this.pending.values(), this.fileBytes, { ...this.drops }, this.damagedBytes, this.rejectedCount, now);
  }

  /** Waits for queued writes, then closes the file. */
  async close(): Promise<void> {
    while (this.flushing) await this.flushing;
    await this.dropsWrite;
    const fh = this.fh;
    this.fh = null;
    this.dropListeners.length = 0;
    await fh?.close();
    // A stop during an outage, or one that cut a silent broker short, loses nothing: say so.
    if (fh && this.pending.size > 0) this.options.logger.info('outbox: messages the broker has not acknowledged stay for the next run', { depth: this.pending.size, bytes: this.pendingBytes });
  }

  private track(e: OutboxEntry): void {
    this.pending.set(e.id, e);
    this.pendingBytes += Buffer.byteLength(e.payload);
  }

  private untrack(e: OutboxEntry): void {
    this.pending.delete(e.id);
    this.pendingBytes -= Buffer.byteLength(e.payload);
  }

  private enforceBytes(): void {
    const dropped: OutboxEntry[] = [];
    let bytes = this.pendingBytes;
    // The newest entry always stays: dropping what was just accepted would be pointless.
    for (const e of this.pending.values()) {
      if (bytes <= this.options.maxBytes || dropped.length >= this.pending.size - 1) break;
      dropped.push(e);
      bytes -= Buffer.byteLength(e.payload);
    }
    this.drop(dropped, 'max-bytes');
  }

  /** `quiet`: the caller logs the loss itself, with more to say than a count. */
  private drop(entries: OutboxEntry[], reason: DropReason, { quiet = false } = {}): void {
    if (entries.length === 0) return;
    let bytes = 0;
    for (const e of entries) {
      this.untrack(e);
      bytes += Buffer.byteLength(e.payload);
      this.enqueue(encodeRecord(RecordType.Drop, { id: e.id, reason }), false).catch(() => undefined);
      for (const fn of this.dropListeners) fn(e, reason);
    }
    const d = this.drops;
    d.count += entries.length;
    d.bytes += bytes;
    d.byReason[reason] = (d.byReason[reason] ?? 0) + entries.length;
    d.lastAt = new Date().toISOString();
    if (!quiet) {
      this.options.logger.warn(`outbox: dropped ${entries.length} undelivered message(s) (${reason})`, {
        reason,
        firstId: entries[0]!.id,
        lastId: entries.at(-1)!.id,
        bytes,
        totalDropped: d.count,
        hint: DROP_HINTS[reason],
      });
    }
    const snapshot = JSON.stringify(withFormat(d));
    this.dropsWrite = this.dropsWrite.then(() => this.writeDrops(snapshot)).catch((err) => this.options.logger.error('outbox: could not save drop counters', { err }));
  }

  private async writeDrops(json: string): Promise<void> {
    const path = join(this.options.dir, DROPS_FILE);
    // Not writeFile's `flush` option: Node 20.0–20.9 (package.json engines: >=20) ignore it.
    await writeDurable(this.options.dir, path, json);
  }

  private enqueue(buf: Buffer, sync: boolean, onDurable?: () => void): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ buf, sync, resolve, reject, ...(onDurable ? { onDurable } : {}) });
      this.kick();
    });
  }

  private kick(): void {
    if (this.flushing) return;
    this.flushing = this.flushLoop().finally(() => {
      this.flushing = null;
      if (this.queue.length > 0) this.kick();
    });
  }

  private async flushLoop(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0);
      try {
        const fh = this.fh;
        if (!fh) throw new Error('outbox is closed');
        const data = batch.length === 1 ? batch[0]!.buf : Buffer.concat(batch.map((b) => b.buf));
        let written = 0;
        while (written < data.length) written += (await fh.write(data, written)).bytesWritten;
        if (batch.some((b) => b.sync)) await fh.datasync();
        this.fileBytes += data.length;
        for (const b of batch) b.onDurable?.();
        for (const b of batch) b.resolve();
      } catch (err) {
        for (const b of batch) b.reject(err as Error);
      }
      if (this.queue.length === 0) await this.maybeCompact();
    }
  }

  private async maybeCompact(): Promise<void> {
    if (!this.fh || this.fileBytes === 0) return;
    try {
      if (this.pending.size === 0) {
        // Everything delivered: start the log afresh.
        await this.fh.truncate(0);
        await this.fh.datasync();
        this.fileBytes = 0;
      } else if (this.fileBytes > COMPACT_MIN_BYTES && this.fileBytes > COMPACT_RATIO * this.pendingBytes) {
        await this.rewrite();
      }
    } catch (err) {
      this.options.logger.warn('outbox: compaction failed; the log keeps growing until the next try', { err });
    }
  }

  /** Writes the pending entries to a new file and renames it over the log (atomic on POSIX). */
  private async rewrite(): Promise<void> {
    const tmp = this.logPath + '.tmp';
    const out = await open(tmp, 'w', 0o640);
    let size = 0;
    try {
      const parts = [...this.pending.values()].map((e) => encodeRecord(RecordType.Put, e));
      const data = Buffer.concat(parts);
      let written = 0;
      while (written < data.length) written += (await out.write(data, written)).bytesWritten;
      await out.sync();
      size = data.length;
    } finally {
      await out.close();
    }
    await rename(tmp, this.logPath);
    const dir = await open(this.options.dir, 'r');
    await dir.sync().finally(() => dir.close());
    await this.fh?.close();
    this.fh = await open(this.logPath, 'a', 0o640);
    this.fileBytes = size;
    this.damagedBytes = 0;
  }
}

/**
 * A log holding records a later release wrote (after a rollback): this version would take
 * them for damage and compact them away, with whatever transcripts they hold. Refused before
 * anything is written, so the release that wrote them can deliver them; exit 78, as for a bad
 * config, since a restart cannot mend it.
 */
function newerLogError(file: string, unknown: ReplayResult['unknown']): ConfigFileError {
  const types = [...new Set(unknown.map((u) => u.type))].join(', ');
  return new ConfigFileError(
    `${file} holds ${unknown.length} record(s) of a type this earshotd does not know (type ${types}, first at byte ${unknown[0]!.offset}): a newer release wrote them. ` +
      'Start that release again so that it delivers them; the file is left as it is. To start this release without them, move the file aside first (what it holds is then not delivered)',
  );
}
