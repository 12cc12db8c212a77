import type { Logger } from '../log/logger.js';
import type { JobRecord } from './job-queue.js';

/**
 * What the ASR engine implements for the scheduler: load and unload its model, run one
 * job, and report where it runs and how much memory it holds.
 */
export interface RunOptions {
  /** Inference threads the policy allows for this job. */
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
  load(): Promise<void>;
  unload(): Promise<void>;
  loaded(): boolean;
  run(job: JobRecord, options: RunOptions): Promise<Result>;
  /** "cpu", "cuda:0", ... */
  device(): string;
  residentBytes(): number;
}

export type ModelState = 'unloaded' | 'loading' | 'loaded' | 'unloading';

export interface ModelTelemetry {
  state: ModelState;
  device: string;
  residentBytes: number;
  /** When it last finished a job or loaded (ISO), for idle unload. */
  lastUsedAt?: string;
  loads: number;
  unloads: number;
  lastUnloadReason?: string;
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

  telemetry(): ModelTelemetry {
    const t: ModelTelemetry = { state: this.current, device: this.runtime.device(), residentBytes: this.current === 'loaded' ? this.runtime.residentBytes() : 0, loads: this.loads, unloads: this.unloads };
    if (this.lastUsedMs !== undefined) t.lastUsedAt = new Date(this.lastUsedMs).toISOString();
    if (this.lastUnloadReason) t.lastUnloadReason = this.lastUnloadReason;
    return t;
  }

  /** Loads unless loaded; concurrent callers share one load. */
  ensureLoaded(reason = 'on demand'): Promise<void> {
    return this.serialize(async () => {
      if (this.runtime.loaded()) {
        this.current = 'loaded';
        return;
      }
      this.current = 'loading';
      const started = this.clock();
      try {
        await this.runtime.load();
      } catch (err) {
        this.current = 'unloaded';
        throw err;
      }
      this.current = 'loaded';
      this.loads++;
      this.lastUsedMs = this.clock();
      this.logger.info('model loaded', { reason, device: this.runtime.device(), residentBytes: this.runtime.residentBytes(), ms: this.clock() - started });
    });
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
      this.unloads++;
      this.lastUnloadReason = reason;
      this.logger.info('model unloaded', { reason });
    });
  }

  async run(job: JobRecord, options: RunOptions): Promise<Result> {
    await this.ensureLoaded();
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
