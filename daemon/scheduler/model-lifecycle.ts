import type { Logger } from '../log/logger.js';
import type { JobRecord } from './job-queue.js';
import { MODEL_UNAVAILABLE } from '../shortage/transient-errors.js';

/**
 * What the ASR engine implements for the scheduler: load and unload its model, run one
 * job, and report where it runs and how much memory it holds.
 */
export interface RunOptions {
  /** Intra-op threads the policy allows the model's session: used when this run loads it. */
  threads: number;
  /**
   * Aborted when the daemon stops and the job has had its grace: the runtime then ends at
   * its next safe point by throwing JobInterrupted (job-interrupted.ts).
   */
  signal?: AbortSignal;
  /** What an earlier, interrupted run of this job saved, and where this run saves its own. */
  progress?: JobProgressSlot;
}

/** A job's saved progress records: opaque to the scheduler, kept by the queue until the job finishes. */
export interface JobProgressSlot {
  /** What the job's runs saved (unchecked: it comes from disk), or undefined. */
  saved: unknown[] | undefined;
  /** Saves these records in place of those saved. */
  replace(records: unknown[]): Promise<void>;
  /** Saves these records after those saved. */
  append(records: unknown[]): Promise<void>;
}

export interface ModelRuntime<Result = unknown> {
  /** Loads with this many intra-op threads (onnxruntime fixes them for the session's life). */
  load(threads: number): Promise<void>;
  unload(): Promise<void>;
  loaded(): boolean;
  run(job: JobRecord, options: RunOptions): Promise<Result>;
  /**
   * Loads the model again with `threads` while the loaded one goes on serving, and puts it
   * in its place once ready; what runs on the old one finishes there. Optional: without it,
   * the model is loaded again only when no job runs on it.
   */
  reload?(threads: number): Promise<void>;
  /** "cpu", "cuda:0", ... */
  device(): string;
  residentBytes(): number;
}

export type ModelState = 'unloaded' | 'loading' | 'loaded' | 'unloading';

/** After a failed in-place reload, none is tried for this long, doubling up to the max. */
const MIN_IN_PLACE_BACKOFF_MS = 60_000;
const MAX_IN_PLACE_BACKOFF_MS = 30 * 60_000;

export interface ModelTelemetry {
  state: ModelState;
  device: string;
  residentBytes: number;
  /** When it last finished a job or loaded (ISO), for idle unload. */
  lastUsedAt?: string;
  loads: number;
  unloads: number;
  lastUnloadReason?: string;
  /** Intra-op threads of the loaded session. */
  threads?: number;
  /** Why the last load failed, while no load has succeeded since (jobs wait for the model meanwhile). */
  loadError?: string;
}

/**
 * Loads on demand, unloads when told (idle timeout, memory pressure, thermal hard limit,
 * `earshot model unload`), preloads before a scheduled window. Loads and unloads are
 * serialized; an unload waits for running jobs to finish first.
 */
export class ModelLifecycle<Result = unknown> {
  private current: ModelState = 'unloaded';
  private transition: Promise<void> = Promise.resolve();
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];
  private lastUsedMs: number | undefined;
  private loads = 0;
  private unloads = 0;
  private lastUnloadReason: string | undefined;
  /** Intra-op threads of the loaded session; undefined while unloaded. */
  private loadedThreads: number | undefined;
  /** What a load without a word from the policy uses: the policy's last. */
  private wantedThreads = 1;
  /** The last load's error, cleared by the next load that succeeds. */
  private loadError: string | undefined;
  /** The retune queued or running, which later calls join. */
  private pendingRetune: Promise<void> | undefined;
  /** Whether the last caller of retune allows the new session beside the old (like wantedThreads, the last word counts). */
  private retuneInPlace = true;
  /** After a failed in-place reload: until when (monotonic ms) none is tried, and for how long the last wait was. */
  private inPlaceFailedUntil: number | undefined;
  private inPlaceBackoffMs = 0;

  constructor(
    private readonly runtime: ModelRuntime<Result>,
    private readonly logger: Logger,
    private readonly clock: () => number = Date.now,
  ) {}

  get state(): ModelState {
    return this.current;
  }

  get lastUsed(): number | undefined {
    return this.lastUsedMs;
  }

  get running(): number {
    return this.inFlight;
  }

  /** Intra-op threads of the loaded session (undefined while unloaded). */
  get threads(): number | undefined {
    return this.loadedThreads;
  }

  /** Where the loaded model runs: "cpu", "cuda", ... ("none" while unloaded). */
  get device(): string {
    return this.runtime.device();
  }

  /** The policy's count, for loads that come without one (live speech, `earshot model load`). */
  wantThreads(threads: number): void {
    this.wantedThreads = threads;
  }

  telemetry(): ModelTelemetry {
    const t: ModelTelemetry = { state: this.current, device: this.runtime.device(), residentBytes: this.current === 'loaded' ? this.runtime.residentBytes() : 0, loads: this.loads, unloads: this.unloads };
    if (this.lastUsedMs !== undefined) t.lastUsedAt = new Date(this.lastUsedMs).toISOString();
    if (this.lastUnloadReason) t.lastUnloadReason = this.lastUnloadReason;
    if (this.loadedThreads !== undefined && this.current === 'loaded') t.threads = this.loadedThreads;
    if (this.loadError !== undefined) t.loadError = this.loadError;
    return t;
  }

  /** Why the last load failed, while none has succeeded since: the model cannot serve, and jobs wait. */
  get unavailable(): string | undefined {
    return this.loadError;
  }

  /**
   * Whether the session can be loaded again with other threads under running jobs
   * (ModelRuntime.reload): on the CPU, where the thread count means anything.
   */
  get reloadsInPlace(): boolean {
    if (this.inPlaceFailedUntil !== undefined && performance.now() < this.inPlaceFailedUntil) return false;
    return this.runtime.reload !== undefined && this.runtime.device() === 'cpu';
  }

  /** Loads unless loaded (with `threads`, else the policy's last count); concurrent callers share one load. */
  ensureLoaded(reason = 'on demand', threads = this.wantedThreads): Promise<void> {
    this.wantedThreads = threads;
    // Loaded: no need to queue behind a reload in place, which leaves the model serving.
    if (this.current === 'loaded' && this.runtime.loaded()) return Promise.resolve();
    return this.serialize(async () => {
      if (this.runtime.loaded()) {
        this.current = 'loaded';
        return;
      }
      await this.load(reason, this.wantedThreads);
    });
  }

  /**
   * Loads the model again with `threads` when its session has another count; resolves
   * whether the session now has that count. In place (`inPlace` and reloadsInPlace) under
   * running jobs, which move to the new session at their next batch; otherwise only when no
   * job runs on it, the old session released before the new one is made (the box may have
   * no room for both), and jobs asking for the model meanwhile wait for the new session.
   */
  retune(threads: number, reason: string, inPlace = true): Promise<boolean> {
    this.wantedThreads = threads;
    this.retuneInPlace = inPlace;
    // One waits at a time: the scheduler asks again at each pass until the session has the
    // count, and a second in-place reload queued behind the first could hold three sessions.
    // It loads the count wanted when it runs.
    this.pendingRetune ??= this.serialize(() => this.retuneStep(reason)).finally(() => (this.pendingRetune = undefined));
    return this.pendingRetune.then(() => this.loadedThreads === threads || !this.runtime.loaded());
  }

  private async retuneStep(reason: string): Promise<void> {
    const threads = this.wantedThreads;
    if (!this.runtime.loaded() || this.loadedThreads === threads) return;
    const from = this.loadedThreads;
    if (this.retuneInPlace && this.reloadsInPlace) {
      const started = this.clock();
      try {
        await this.runtime.reload!(threads);
      } catch (err) {
        // Not again at every pass (each try loads the whole model, beside the one serving):
        // for a while the session is loaded again only when idle, as without reload.
        this.inPlaceBackoffMs = Math.min(MAX_IN_PLACE_BACKOFF_MS, this.inPlaceBackoffMs * 2 || MIN_IN_PLACE_BACKOFF_MS);
        this.inPlaceFailedUntil = performance.now() + this.inPlaceBackoffMs;
        this.logger.warn(`could not load the model again in place; for ${Math.round(this.inPlaceBackoffMs / 1000)} s it is loaded again only when idle`, { err });
        throw err;
      }
      this.inPlaceBackoffMs = 0;
      this.loadedThreads = threads;
      this.loads++;
      this.logger.info('model loaded', { reason: `${reason}: ${from} → ${threads} threads`, threads, inPlace: true, device: this.runtime.device(), residentBytes: this.runtime.residentBytes(), ms: this.clock() - started });
      return;
    }
    if (this.inFlight > 0) return;
    this.current = 'unloading';
    await this.runtime.unload();
    this.loadedThreads = undefined;
    await this.load(`${reason}: ${from} → ${threads} threads`, threads);
  }

  private async load(reason: string, threads: number): Promise<void> {
    this.current = 'loading';
    const started = this.clock();
    try {
      await this.runtime.load(threads);
    } catch (err) {
      this.current = 'unloaded';
      this.loadError = (err as Error).message ?? String(err);
      throw err;
    }
    this.loadError = undefined;
    this.current = 'loaded';
    this.loadedThreads = threads;
    this.loads++;
    this.lastUsedMs = this.clock();
    this.logger.info('model loaded', { reason, threads, device: this.runtime.device(), residentBytes: this.runtime.residentBytes(), ms: this.clock() - started });
  }

  unload(reason: string): Promise<void> {
    return this.serialize(async () => {
      if (!this.runtime.loaded()) {
        this.current = 'unloaded';
        return;
      }
      this.current = 'unloading';
      // Never pull the model from under a running job.
      while (this.inFlight > 0) await new Promise<void>((r) => this.idleWaiters.push(r));
      await this.runtime.unload();
      this.current = 'unloaded';
      this.loadedThreads = undefined;
      this.unloads++;
      this.lastUnloadReason = reason;
      this.logger.info('model unloaded', { reason });
    });
  }

  async run(job: JobRecord, options: RunOptions): Promise<Result> {
    // Counted before any await when the model is loaded, so no unload queued meanwhile can
    // find the model idle and pull it from under this job.
    if (this.current === 'loaded' && this.runtime.loaded()) this.wantedThreads = options.threads;
    else {
      try {
        await this.ensureLoaded('on demand', options.threads);
      } catch (err) {
        // Not the job's fault: it waits for the model instead of failing (a shortage keeps its own code in the cause).
        throw Object.assign(new Error(`the model could not be loaded: ${(err as Error).message}`, { cause: err }), { code: MODEL_UNAVAILABLE });
      }
    }
    this.inFlight++;
    try {
      return await this.runtime.run(job, options);
    } finally {
      this.inFlight--;
      this.lastUsedMs = this.clock();
      if (this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  private serialize(step: () => Promise<void>): Promise<void> {
    const next = this.transition.then(step, step);
    // Keep the chain alive after a failed step; the caller still sees the error.
    this.transition = next.catch(() => undefined);
    return next;
  }
}
