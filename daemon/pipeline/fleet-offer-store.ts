import { randomBytes } from 'node:crypto';
import { mkdir, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { readJson, removeDurable, writeDurable } from '../scheduler/durable-file.js';
import type { JobResultPayload } from '../mqtt/payloads/job.js';
import type { Logger } from '../log/logger.js';
import { checkFormat, NewerFormatError, withFormat } from '../state-format.js';

/** `<dataDir>/fleet/offers/<id>.json`: a job this box has offered and not yet seen finished. */
export interface FleetOfferRecord {
  id: string;
  /** The file on this box; read again when the offer has to be made again after a restart. */
  input: string;
  offeredAt: string;
  /** 1 for the first offer, +1 each time it is offered again after a restart of this box. */
  round: number;
  /** Folders `input` must lie in when read (a path a remote caller named); see open-input.ts. */
  within?: string[];
  /** Random, new for each round: part of the wire id (absent in records of older versions). */
  nonce?: string;
}

/**
 * The id on the wire: `<job id>.r<round>.<nonce>`. The offerer counts attempts from 1 for
 * each wire id, so every offer needs an id of its own: one offered again after a restart
 * (claims and results for the old one may be queued for this box), and one for the same
 * file offered again after its result was pruned (a signed claim or result for the earlier
 * offer, replayed, would otherwise fit attempt 1 of the new one).
 */
export function offerIdOf(record: FleetOfferRecord): string {
  if (record.nonce === undefined) return record.round <= 1 ? record.id : `${record.id}.r${record.round}`;
  return `${record.id}.r${record.round}.${record.nonce}`;
}

/**
 * The offered job's own id in a wire id (offerIdOf's inverse): the same in every round, also
 * after the offering box restarts. A wire id of another shape is taken whole.
 */
export function jobIdOfOffer(wireId: string): string {
  return /^(.+)\.r\d+(\.[0-9a-f]{12})?$/.exec(wireId)?.[1] ?? wireId;
}

/** A fresh nonce for an offer round: 48 random bits, hex. */
export function newOfferNonce(): string {
  return randomBytes(6).toString('hex');
}

/** `<dataDir>/fleet/results/<id>.json`: an offered job and its first result. */
export interface FleetResultRecord extends FleetOfferRecord {
  finishedAt: string;
  done: JobResultPayload;
}

/**
 * The offering side's durable record, so that "offered" means "on disk": an offer is written
 * before it is published, and replaced by its result when the first one arrives. Offers still
 * here when the daemon starts are offered again (the offerer's own bookkeeping is in memory).
 */
export class FleetOfferStore {
  private readonly offersDir: string;
  private readonly resultsDir: string;
  private readonly tmpDir: string;
  /** Each recorded result: when it finished (ms) and whether it is an error; read at open, so pruning walks memory. */
  private readonly finished = new Map<string, { at: number; failed: boolean }>();
  /**
   * Ids of offers and results a newer release wrote (state-format.ts): left on disk as they
   * are, never offered again, pruned or written over; logged once each.
   */
  private readonly newer = new Set<string>();
  /** Offer and result files that are not JSON, logged once each. */
  private readonly damaged = new Set<string>();

  constructor(
    dir: string,
    private readonly logger: Logger,
  ) {
    this.offersDir = join(dir, 'offers');
    this.resultsDir = join(dir, 'results');
    this.tmpDir = join(dir, 'tmp');
  }

  async open(): Promise<void> {
    for (const d of [this.offersDir, this.resultsDir, this.tmpDir]) await mkdir(d, { recursive: true, mode: 0o750 });
    this.finished.clear();
    for (const r of await this.results()) this.remember(r);
  }

  async add(offer: FleetOfferRecord): Promise<void> {
    this.assertOurs(offer.id);
    await writeDurable(this.tmpDir, join(this.offersDir, `${offer.id}.json`), JSON.stringify(withFormat(offer)));
  }

  /** Records the result, then forgets the offer (a crash in between leaves both: the result wins). */
  async finish(result: FleetResultRecord): Promise<void> {
    this.assertOurs(result.id);
    await writeDurable(this.tmpDir, join(this.resultsDir, `${result.id}.json`), JSON.stringify(withFormat(result)));
    this.remember(result);
    await removeDurable(join(this.offersDir, `${result.id}.json`));
  }

  /**
   * Deletes results older than their retention (the queue's: `scheduler.retention`), so an
   * offering box that runs for months neither fills its disk nor lists every job it ever
   * offered. The same file offered after that is a new job. Returns how many went.
   */
  async prune(keep: { doneMs: number; failedMs: number }, now = Date.now()): Promise<number> {
    let removed = 0;
    let firstError: unknown;
    for (const [id, { at, failed }] of [...this.finished]) {
      if (now - at <= (failed ? keep.failedMs : keep.doneMs)) continue;
      try {
        await unlink(join(this.resultsDir, `${id}.json`));
      } catch (err) {
        // One that cannot go (a read-only file system) does not keep the others.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
          firstError ??= err;
          continue;
        }
      }
      this.finished.delete(id);
      removed++;
    }
    if (firstError) throw firstError;
    return removed;
  }

  private remember(result: FleetResultRecord): void {
    const at = Date.parse(result.finishedAt);
    // A record without a readable time is kept until the next start reads it again as old as now.
    this.finished.set(result.id, { at: Number.isNaN(at) ? Date.now() : at, failed: result.done?.status !== 'ok' });
  }

  result(id: string): Promise<FleetResultRecord | undefined> {
    return this.read<FleetResultRecord>(join(this.resultsDir, `${id}.json`), id);
  }

  /** A record, or undefined for none and for one a newer release wrote (which is noted in `newer`). */
  private async read<T>(file: string, id: string): Promise<T | undefined> {
    let record: T | undefined;
    try {
      record = await readJson<T>(file);
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
      // Left empty or cut short (a power cut, a damaged disk): named once; the other records serve on.
      if (!this.damaged.has(file)) this.logger.error(`fleet: ${file} cannot be read (${err.message}); left as it is and not offered again: submit its recording again`, { file });
      this.damaged.add(file);
      return undefined;
    }
    try {
      checkFormat(record, file);
    } catch (err) {
      if (!(err instanceof NewerFormatError)) throw err;
      if (!this.newer.has(id)) this.logger.error(`fleet: ${err.message}; left as it is, neither offered again nor pruned; start that release again to finish it`, { file });
      this.newer.add(id);
      return undefined;
    }
    return record;
  }

  private assertOurs(id: string): void {
    if (this.newer.has(id)) throw new Error(`fleet job ${id} has a record a newer earshotd wrote (in ${this.offersDir} or ${this.resultsDir}), left as it is; start that release again to finish it`);
  }

  /** Offers without a result, oldest first. */
  async unfinished(): Promise<FleetOfferRecord[]> {
    const out: FleetOfferRecord[] = [];
    for (const offer of await this.readAll<FleetOfferRecord>(this.offersDir)) {
      if (await this.result(offer.id)) await removeDurable(join(this.offersDir, `${offer.id}.json`));
      else if (!this.newer.has(offer.id)) out.push(offer);
    }
    return out.sort((a, b) => a.offeredAt.localeCompare(b.offeredAt));
  }

  results(): Promise<FleetResultRecord[]> {
    return this.readAll<FleetResultRecord>(this.resultsDir);
  }

  private async readAll<T>(dir: string): Promise<T[]> {
    const out: T[] = [];
    for (const f of (await readdir(dir)).sort()) {
      if (!f.endsWith('.json')) continue;
      const r = await this.read<T>(join(dir, f), f.slice(0, -5)).catch(() => undefined);
      if (r) out.push(r);
    }
    return out;
  }
}
