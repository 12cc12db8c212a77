import { access, constants, mkdir, readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log/logger.js';
import type { Service } from '../service.js';
import type { Priority } from './policy.js';
import { PRIORITY_RANK } from './policy.js';
import { validateJobId } from './job-id.js';
import { ProgressFiles } from './progress-files.js';
import { createDurableOnce, readJson, removeDurable, writeDurable } from './durable-file.js';
import { checkFormat, withFormat } from '../state-format.js';

/**
 * The durable job queue under `<dataDir>/queue`:
 *   pending/<id>.json   submitted, not finished (rewritten with attempts+1 before each run)
 *   done/<id>.json      finished: the job and its result (created once, never overwritten)
 *   failed/<id>.json    failed: the job and the error
 *   progress/<id>.jsonl what a running job has finished so far (progress-files.ts), for a
 *                       run after a stop or crash to resume from (deleted when it finishes)
 *   tmp/                temp files for atomic writes (emptied on open)
 * A job is fsynced into pending/ before `submit` returns. A job killed mid-run stays in
 * pending/ and runs again after restart; its completion is a create-once link into done/, so
 * it completes exactly once however often the daemon dies. Ids are file names checked by
 * validateJobId, so nothing escapes the directory.
 */
export interface JobSpec {
  /** Idempotency key; submitting an id that exists returns the existing job. */
  id: string;
  /** Absolute path of the audio file. */
  input: string;
  priority: Priority;
  /** Deadline (ISO 8601); the queue fills in submit + default for batch. */
  deadline?: string;
  /** Audio length, for the policy's run-time estimate. */
  audioSeconds?: number;
  /** Where it came from (spool dir, CLI, MQTT), for transcripts. */
  sourceId?: string;
  /** The recording's name in transcripts when `input` is only a local copy (a fleet job's offered file name). */
  recording?: string;
  /**
   * Folders `input` must lie in when it is read (as the kernel resolves the open), for a path
   * a remote caller named: checked at submit, and again at the read, hours later perhaps.
   */
  within?: string[];
  /**
   * What the transcripts' ids derive from instead of this box and job: a fleet job's scope
   * (`fleet/<offerer>/<job id>`), the same on every box and attempt that runs it.
   */
  idScope?: string;
}

export interface JobRecord extends Required<Pick<JobSpec, 'id' | 'input' | 'priority'>> {
  deadline: string;
  submittedAt: string;
  attempts: number;
  audioSeconds?: number;
  sourceId?: string;
  recording?: string;
  within?: string[];
  idScope?: string;
  /** How often `jobs retry` put it back (JobQueue.retry); absent until then. */
  retries?: number;
}

/**
 * Every field a job record may have. A pending record with another one was written by a
 * later release, whose new field may change how the job runs or the ids its transcripts get
 * (as `retries` and `idScope` did): run without it here, after a rollback, the job could
 * publish new words under ids already used. Typed so that a field added to JobRecord must be
 * added here too.
 */
const JOB_FIELDS: Record<keyof JobRecord, true> = { id: true, input: true, priority: true, deadline: true, submittedAt: true, attempts: true, audioSeconds: true, sourceId: true, recording: true, within: true, idScope: true, retries: true };

export type JobState = 'pending' | 'running' | 'done' | 'failed';

export interface DoneRecord<R = unknown> {
  job: JobRecord;
  finishedAt: string;
  result: R;
}

export interface FailedRecord {
  job: JobRecord;
  finishedAt: string;
  error: string;
}

export interface JobQueueOptions {
  dir: string;
  logger: Logger;
  /** Deadline given to jobs submitted without one (hours). */
  defaultDeadlineHours: number;
  /**
   * A job that was running this many times when the daemon died, without saving progress in
   * between, is failed, not retried.
   */
  maxAttempts: number;
  /** Finished records older than this are deleted (by finish time); unset keeps them for ever. */
  keepDoneMs?: number;
  keepFailedMs?: number;
  /** What a job's progress records amount to, for `jobs list` (the queue does not read them). */
  summarizeProgress?: (records: unknown[]) => JobProgressSummary | undefined;
  /**
   * Why a job found pending at start must not run, if so: its owner dropped its input on
   * purpose (a fleet job its offerer offers again). It ends failed with that reason, said at
   * info, rather than failing at its first run on the missing file, logged as a failure.
   */
  notToRunAtStart?: (job: JobRecord) => string | undefined;
  clock?: () => number;
}

/** How far a running or interrupted job has got. */
export interface JobProgressSummary {
  /** Speech segments finished. */
  segments: number;
  /** Where in the recording the last of them ends, seconds. */
  throughSec: number;
}

/** How often old finished records are looked for. */
const PRUNE_EVERY_MS = 3600_000;

export class JobQueue implements Service {
  readonly name = 'jobs';
  private readonly pendingJobs = new Map<string, JobRecord>();
  /**
   * Finished ids and when they finished (ms, the queue's clock): known for records finished
   * in this run, read once from the file's time for those found at start (undefined until
   * the first prune). Pruning then walks memory instead of stat-ing every record each hour.
   */
  private readonly doneIds = new Map<string, number | undefined>();
  private readonly failedIds = new Map<string, number | undefined>();
  private readonly runningIds = new Set<string>();
  /**
   * Jobs other than live speech finished in this run, only ever counted up: `earshot jobs
   * wait` takes the difference between two looks, which neither live speech (never waited
   * for) nor the deletion of old records may change.
   */
  private readonly finishedNotLive = { done: 0, failed: 0 };
  /** Pending records a newer release wrote (JOB_FIELDS), left on disk: never written over. */
  private readonly newerIds = new Set<string>();
  /** Done and failed records in a newer format that a listing left out (logged once each). */
  private readonly newerFinished = new Set<string>();
  /** Done and failed records that are not JSON, which a listing left out (logged once each). */
  private readonly damagedFinished = new Set<string>();
  /** Submits in progress by id, so two concurrent submits of one id make one job. */
  private readonly submitting = new Map<string, Promise<{ job: JobRecord; state: JobState; created: boolean }>>();
  private readonly progressFiles: ProgressFiles;
  private opened = false;
  private pruneTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: JobQueueOptions) {
    this.progressFiles = new ProgressFiles(join(options.dir, 'progress'), join(options.dir, 'tmp'), options.logger);
  }

  private path(kind: 'pending' | 'done' | 'failed' | 'tmp', id?: string): string {
    return id === undefined ? join(this.options.dir, kind) : join(this.options.dir, kind, `${validateJobId(id)}.json`);
  }

  async start(): Promise<void> {
    for (const k of ['pending', 'done', 'failed', 'tmp'] as const) await mkdir(this.path(k), { recursive: true, mode: 0o750 });
    for (const f of await readdir(this.path('tmp'))) await unlink(join(this.path('tmp'), f)).catch(() => undefined);
    for (const f of await readdir(this.path('done'))) if (f.endsWith('.json')) this.doneIds.set(f.slice(0, -5), undefined);
    for (const f of await readdir(this.path('failed'))) if (f.endsWith('.json')) this.failedIds.set(f.slice(0, -5), undefined);
    for (const f of await readdir(this.path('pending'))) {
      if (!f.endsWith('.json')) continue;
      const id = f.slice(0, -5);
      // Died between writing done/ and removing pending/: it is done, not to be run again.
      if (this.doneIds.has(id) || this.failedIds.has(id)) {
        await removeDurable(this.path('pending', id));
        continue;
      }
      let job: JobRecord | undefined;
      try {
        job = await readJson<JobRecord>(join(this.path('pending'), f));
      } catch (err) {
        // Not JSON: left empty or cut short by a power cut, or a damaged disk. The rest of the queue runs.
        this.options.logger.error(`job file ${join(this.path('pending'), f)} cannot be read (${(err as Error).message}): that job is not run; submit its recording again`);
      }
      if (!job) continue;
      const unknown = Object.keys(job).filter((k) => !Object.hasOwn(JOB_FIELDS, k));
      if (unknown.length > 0) {
        this.options.logger.error(`job written by a newer release left in the queue, not run: it has ${unknown.join(', ')}, which this earshotd does not know; start that release again to run it`, { file: join(this.path('pending'), f) });
        this.newerIds.add(id);
        continue;
      }
      if (job.attempts >= this.options.maxAttempts) {
        await this.failRecord(job, `the daemon stopped while running this job ${job.attempts} times without it getting further; not retried (check the input file)`);
        continue;
      }
      const notToRun = this.options.notToRunAtStart?.(job);
      if (notToRun !== undefined) {
        await this.failRecord(job, notToRun);
        this.options.logger.info(notToRun, { id });
        continue;
      }
      this.pendingJobs.set(id, job);
    }
    await this.progressFiles.open((id) => this.pendingJobs.has(id));
    this.opened = true;
    this.options.logger.info('job queue open', { pending: this.pendingJobs.size, done: this.doneIds.size, failed: this.failedIds.size });
    if (this.options.keepDoneMs !== undefined || this.options.keepFailedMs !== undefined) {
      await this.prune();
      this.pruneTimer = setInterval(() => void this.prune(), PRUNE_EVERY_MS);
      this.pruneTimer.unref();
    }
  }

  async stop(): Promise<void> {
    this.opened = false;
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    this.pruneTimer = undefined;
  }

  /**
   * Deletes done and failed records older than their retention. Without this a box that
   * runs for months fills its disk with them (a 2-hour soak left 9,366 files, 38 MB) and
   * holds every id in memory. A recording submitted again after its record is gone is a new
   * job. Returns how many were deleted.
   */
  async prune(): Promise<number> {
    const now = (this.options.clock ?? Date.now)();
    let removed = 0;
    for (const [kind, ids, keepMs] of [['done', this.doneIds, this.options.keepDoneMs], ['failed', this.failedIds, this.options.keepFailedMs]] as const) {
      if (keepMs === undefined) continue;
      for (const id of [...ids.keys()]) {
        const file = this.path(kind, id);
        try {
          if (now - (await this.finishTime(kind, ids, id)) <= keepMs) continue;
          if (await this.isNewer(kind, id)) continue;
          await unlink(file);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
            this.options.logger.warn(`could not delete an old ${kind} job record`, { id, err });
            continue;
          }
        }
        ids.delete(id);
        removed++;
      }
    }
    if (removed > 0) this.options.logger.info('old job records deleted', { removed, done: this.doneIds.size, failed: this.failedIds.size });
    return removed;
  }

  state(): { state: string; detail: string } {
    return { state: this.opened ? 'running' : 'stopped', detail: `${this.pendingJobs.size} pending, ${this.runningIds.size} running` };
  }

  /** Adds a job, durably, unless its id is known; `created` says which. */
  async submit(spec: JobSpec): Promise<{ job: JobRecord; state: JobState; created: boolean }> {
    this.assertOpen();
    const id = validateJobId(spec.id);
    const inFlight = this.submitting.get(id);
    if (inFlight) return { ...(await inFlight), created: false };
    const p = this.submitOnce(id, spec);
    this.submitting.set(id, p);
    try {
      return await p;
    } finally {
      this.submitting.delete(id);
    }
  }

  private async submitOnce(id: string, spec: JobSpec): Promise<{ job: JobRecord; state: JobState; created: boolean }> {
    const known = await this.get(id);
    if (known) return { ...known, created: false };
    if (this.newerIds.has(id)) throw new Error(`job ${id} was written by a newer release and is left as it is (${this.path('pending', id)}); start that release again to run it`);
    const now = (this.options.clock ?? Date.now)();
    if (!['live', 'interactive', 'batch'].includes(spec.priority)) throw new Error(`invalid priority ${JSON.stringify(spec.priority)}: use live, interactive or batch`);
    const deadlineMs = spec.deadline === undefined ? now + this.options.defaultDeadlineHours * 3600e3 : Date.parse(spec.deadline);
    if (!Number.isFinite(deadlineMs)) throw new Error(`invalid deadline ${JSON.stringify(spec.deadline)}: use an ISO 8601 time`);
    const job: JobRecord = { id, input: spec.input, priority: spec.priority, deadline: new Date(deadlineMs).toISOString(), submittedAt: new Date(now).toISOString(), attempts: 0 };
    if (spec.audioSeconds !== undefined) job.audioSeconds = spec.audioSeconds;
    if (spec.sourceId !== undefined) job.sourceId = spec.sourceId;
    if (spec.recording !== undefined) job.recording = spec.recording;
    if (spec.within !== undefined) job.within = spec.within;
    if (spec.idScope !== undefined) job.idScope = spec.idScope;
    await writeDurable(this.path('tmp'), this.path('pending', id), JSON.stringify(job));
    this.pendingJobs.set(id, job);
    return { job, state: 'pending', created: true };
  }

  /** A job and its state; a finished one with when it finished, and a failed one with its error. */
  async get(id: string): Promise<{ job: JobRecord; state: JobState; finishedAt?: string; error?: string } | undefined> {
    validateJobId(id);
    const p = this.pendingJobs.get(id);
    if (p) return { job: p, state: this.runningIds.has(id) ? 'running' : 'pending' };
    if (this.doneIds.has(id)) {
      const d = await this.readFinished<DoneRecord>('done', id, 'throw');
      if (d) return { job: d.job, state: 'done', finishedAt: d.finishedAt };
    }
    if (this.failedIds.has(id)) {
      const f = await this.readFinished<FailedRecord>('failed', id, 'throw');
      if (f) return { job: f.job, state: 'failed', finishedAt: f.finishedAt, error: f.error };
    }
    return undefined;
  }

  /**
   * A done or failed record. One a newer release wrote (state-format.ts) is never taken for
   * this release's: for a listing it is left out with an error, logged once; for a lookup
   * ('throw': a submit, a retry, jobs get) the error is thrown, so the job is neither run
   * again nor its record replaced. Either way the file stays as it is. So is one that is not
   * JSON (left empty or cut short by a power cut, a damaged disk): one bad record made every
   * `earshot jobs list` fail with a bare JSON error naming no file.
   */
  private async readFinished<T>(kind: 'done' | 'failed', id: string, newer: 'skip' | 'throw'): Promise<T | undefined> {
    const file = this.path(kind, id);
    let record: T | undefined;
    try {
      record = await readJson<T>(file);
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
      const damaged = new Error(`job ${id}: its ${kind} record ${file} cannot be read (${err.message}); the job is not run again here: delete the file to submit it again`);
      if (newer === 'throw') throw damaged;
      if (!this.damagedFinished.has(file)) this.options.logger.error(`${damaged.message}; left out of listings`, { file });
      this.damagedFinished.add(file);
      return undefined;
    }
    try {
      checkFormat(record, file);
    } catch (err) {
      // A newer release's record, or a format that is no number: not this release's to read.
      const left = new Error(`job ${id}: ${(err as Error).message}; its ${kind} record is left as it is, and the job is not run again here`);
      if (newer === 'throw') throw left;
      if (!this.newerFinished.has(file)) this.options.logger.error(`${left.message}; left out of listings`, { file });
      this.newerFinished.add(file);
      return undefined;
    }
    return record;
  }

  /**
   * Puts a failed job back in the queue, its tries counted from 0 again: for a failure an
   * operator has mended since (ffmpeg installed, a file's permissions fixed), which a new
   * submit would not run, the file's id being known. A deadline already past becomes the
   * default one from now; its transcripts get new ids (see `retries`). Refused unless the
   * job failed, or when its audio is gone (a saved segment is removed when its job fails).
   * The pending record is written before the failed one goes: a crash between leaves the
   * job failed, as if never retried (see start).
   */
  async retry(id: string): Promise<JobRecord> {
    const known = await this.get(id);
    if (!known) throw new Error(`no job ${id} in the queue`);
    if (known.state !== 'failed') throw new Error(`job ${id} is ${known.state}, not failed: only a failed job is tried again`);
    try {
      await access(known.job.input, constants.R_OK);
    } catch (err) {
      throw new Error(`job ${id}: its audio ${known.job.input} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}); a saved segment is removed when its job fails, a file must be put back first`);
    }
    const now = (this.options.clock ?? Date.now)();
    const deadline = Date.parse(known.job.deadline) > now ? known.job.deadline : new Date(now + this.options.defaultDeadlineHours * 3600e3).toISOString();
    const job: JobRecord = { ...known.job, attempts: 0, deadline, retries: (known.job.retries ?? 0) + 1 };
    await writeDurable(this.path('tmp'), this.path('pending', id), JSON.stringify(job));
    await removeDurable(this.path('failed', id));
    this.failedIds.delete(id);
    this.pendingJobs.set(id, job);
    return job;
  }

  /** Pending jobs not running, best first (priority, deadline, submission). */
  pending(): JobRecord[] {
    return [...this.pendingJobs.values()].filter((j) => !this.runningIds.has(j.id)).sort(compareJobs);
  }

  running(): JobRecord[] {
    return [...this.runningIds].map((id) => this.pendingJobs.get(id)).filter((j): j is JobRecord => j !== undefined);
  }

  counts(): { pending: number; running: number; done: number; failed: number } {
    return { pending: this.pendingJobs.size - this.runningIds.size, running: this.runningIds.size, done: this.doneIds.size, failed: this.failedIds.size };
  }

  /** Jobs other than live speech done and failed since the queue opened (finishedNotLive). */
  finishedSinceOpen(): { done: number; failed: number } {
    return { ...this.finishedNotLive };
  }

  /** Marks a job running and records the attempt durably, so a crash loop is detected on restart. */
  async markStarted(id: string): Promise<JobRecord> {
    const job = this.pendingJobs.get(validateJobId(id));
    if (!job) throw new Error(`job ${id} is not pending`);
    if (this.runningIds.has(id)) throw new Error(`job ${id} is already running`);
    this.runningIds.add(id);
    const updated = { ...job, attempts: job.attempts + 1 };
    try {
      await writeDurable(this.path('tmp'), this.path('pending', id), JSON.stringify(updated));
    } catch (err) {
      this.runningIds.delete(id);
      throw err;
    }
    this.pendingJobs.set(id, updated);
    return updated;
  }

  /** The records the job's runs saved with saveProgress, in order; see ProgressFiles.read. */
  progress(id: string): Promise<unknown[] | undefined> {
    return this.progressFiles.read(validateJobId(id));
  }

  /** Saves a running job's progress records, in place of those saved or after them. */
  async saveProgress(id: string, records: unknown[], how: 'replace' | 'append'): Promise<void> {
    const job = this.pendingJobs.get(validateJobId(id));
    if (!job || !this.runningIds.has(id)) throw new Error(`job ${id} is not running`);
    await this.progressFiles.save(id, records, how);
    // The job got further, so the deaths before this run were not its input crashing the
    // daemon at one spot: count from this run (once per run, as it then stays at 1).
    if (job.attempts > 1) {
      const updated = { ...job, attempts: 1 };
      await writeDurable(this.path('tmp'), this.path('pending', id), JSON.stringify(updated));
      this.pendingJobs.set(id, updated);
    }
  }

  /** How far the job has got by its saved progress, when it saved any. */
  async progressSummary(id: string): Promise<JobProgressSummary | undefined> {
    const summarize = this.options.summarizeProgress;
    if (!summarize || !this.progressFiles.has(id)) return undefined;
    const records = await this.progressFiles.read(id);
    return records ? summarize(records) : undefined;
  }

  /** Records the result once; false when it was already done (the result is then ignored). */
  async complete<R>(id: string, result: R): Promise<boolean> {
    const job = this.pendingJobs.get(validateJobId(id));
    if (!job) return false;
    const finished = (this.options.clock ?? Date.now)();
    const record: DoneRecord<R> = { job, finishedAt: new Date(finished).toISOString(), result };
    const created = await createDurableOnce(this.path('tmp'), this.path('done', id), JSON.stringify(withFormat(record)));
    this.doneIds.set(id, finished);
    if (created && job.priority !== 'live') this.finishedNotLive.done++;
    await removeDurable(this.path('pending', id));
    this.pendingJobs.delete(id);
    this.runningIds.delete(id);
    await this.progressFiles.drop(id);
    return created;
  }

  async fail(id: string, error: string): Promise<void> {
    const job = this.pendingJobs.get(validateJobId(id));
    if (!job) return;
    await this.failRecord(job, error);
    this.pendingJobs.delete(id);
    this.runningIds.delete(id);
  }

  /**
   * Puts a running job back after a shortage of the box (disk full, no descriptors): the try
   * is not the job's fault, so it does not count towards maxAttempts. The count on disk is
   * put back when the disk allows; if it does not, a restart counts this try once.
   */
  async postpone(id: string): Promise<void> {
    this.runningIds.delete(id);
    const job = this.pendingJobs.get(id);
    if (!job) return;
    const restored = { ...job, attempts: Math.max(0, job.attempts - 1) };
    this.pendingJobs.set(id, restored);
    await writeDurable(this.path('tmp'), this.path('pending', id), JSON.stringify(restored)).catch((err: unknown) =>
      this.options.logger.debug('could not put back the attempt count on disk yet', { id, err }),
    );
  }

  /**
   * Takes a started job out of this run, its files as they are but for the try put back:
   * one of them is in a newer release's format (a segment's sidecar). A submit of its id is
   * refused; the next start tries it again, so the release that wrote it can run it.
   */
  async leave(id: string): Promise<void> {
    await this.postpone(id);
    this.pendingJobs.delete(id);
    this.newerIds.add(id);
  }

  /** Puts a running job back (daemon stopping, thermal pause before it began work). */
  release(id: string): void {
    this.runningIds.delete(id);
  }

  /** Done records, oldest first; `newest`: only that many of the most recently finished. */
  async doneRecords<R = unknown>(newest?: number): Promise<Array<DoneRecord<R>>> {
    const out: Array<DoneRecord<R>> = [];
    for (const id of await this.finishedIds('done', this.doneIds, newest)) {
      const d = await this.readFinished<DoneRecord<R>>('done', id, 'skip');
      if (d) out.push(d);
    }
    return out.sort((a, b) => a.finishedAt.localeCompare(b.finishedAt));
  }

  /** Failed records, oldest first; `newest`: only that many of the most recently failed. */
  async failedRecords(newest?: number): Promise<FailedRecord[]> {
    const out: FailedRecord[] = [];
    for (const id of await this.finishedIds('failed', this.failedIds, newest)) {
      const f = await this.readFinished<FailedRecord>('failed', id, 'skip');
      if (f) out.push(f);
    }
    return out.sort((a, b) => a.finishedAt.localeCompare(b.finishedAt));
  }

  /**
   * Whether a finished record is a newer release's (readFinished), which is never deleted
   * here; read only once it is past its retention, so a prune reads only what it would delete.
   */
  private async isNewer(kind: 'done' | 'failed', id: string): Promise<boolean> {
    await this.readFinished(kind, id, 'skip').catch(() => undefined);
    return this.newerFinished.has(this.path(kind, id));
  }

  /** When a kept record finished: the time kept for it, else (a record from before this start) its file's mtime, then kept. */
  private async finishTime(kind: 'done' | 'failed', ids: Map<string, number | undefined>, id: string): Promise<number> {
    const known = ids.get(id);
    if (known !== undefined) return known;
    const at = (await stat(this.path(kind, id))).mtimeMs;
    ids.set(id, at);
    return at;
  }

  /**
   * The ids of `kind`, all of them sorted, or the `newest` most recently finished: picked by
   * the time kept for each (the file's mtime for records from before this start), so a
   * listing after months reads that many records, not every one kept.
   */
  private async finishedIds(kind: 'done' | 'failed', ids: Map<string, number | undefined>, newest: number | undefined): Promise<string[]> {
    if (newest === undefined || newest >= ids.size) return [...ids.keys()].sort();
    const timed: Array<[string, number]> = [];
    for (const id of ids.keys()) timed.push([id, await this.finishTime(kind, ids, id).catch(() => 0)]);
    return timed
      .sort((a, b) => b[1] - a[1] || b[0].localeCompare(a[0]))
      .slice(0, newest)
      .reverse()
      .map(([id]) => id);
  }

  private async failRecord(job: JobRecord, error: string): Promise<void> {
    const finished = (this.options.clock ?? Date.now)();
    const record: FailedRecord = { job, finishedAt: new Date(finished).toISOString(), error };
    const created = await createDurableOnce(this.path('tmp'), this.path('failed', job.id), JSON.stringify(withFormat(record)));
    this.failedIds.set(job.id, finished);
    if (created && job.priority !== 'live') this.finishedNotLive.failed++;
    await removeDurable(this.path('pending', job.id));
    await this.progressFiles.drop(job.id);
  }

  private assertOpen(): void {
    if (!this.opened) throw new Error('job queue is not open (the scheduler has not started)');
  }
}

export function compareJobs(a: JobRecord, b: JobRecord): number {
  return PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority] || a.deadline.localeCompare(b.deadline) || a.submittedAt.localeCompare(b.submittedAt) || a.id.localeCompare(b.id);
}
