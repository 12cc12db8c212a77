import { stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import type { CarbonSource } from '../energy/carbon/types.js';
import { carbonStatus, type CarbonStatus } from '../energy/carbon/carbon-status.js';
import { parseDuration } from '../energy/ledger.js';
import type { JobProgressSummary, JobQueue, JobRecord, JobState } from './job-queue.js';
import { jobIdForFile, validateJobId } from './job-id.js';
import type { ModelLifecycle, ModelTelemetry } from './model-lifecycle.js';
import type { BudgetStore, Budget, BudgetChange, BudgetInForce } from './budget-store.js';
import type { Scheduler } from './scheduler.js';
import type { PauseReason, Priority } from './policy.js';
import { wavSeconds } from './wav-duration.js';
import { overdue, type Overdue } from './overdue-jobs.js';
import { statInputFile } from '../audio/open-input.js';
import { ControlError } from '../control/protocol.js';

/**
 * Control-API handlers for the scheduler's CLI verbs, as plain functions the controller
 * registers (`control.registerUntyped(name, spec)`): jobs.submit/list/get/show, budget.show/set,
 * carbon.status, scheduler.status, model.load/unload.
 */
/** How long `budget.set` waits for the scheduler's pass with the new budget before it answers. */
const BUDGET_PASS_WAIT_MS = 2000;

/** What `budget.set` answers: the budget now in force and, once the scheduler decided with it, what it does. */
export type BudgetSetResult = BudgetInForce & { effect?: { pauseBatch: boolean; pausedBy?: PauseReason[]; threads: number; concurrency: number; reasons: string[] } };

export interface SchedulerHandlerDeps {
  queue: JobQueue;
  scheduler: Scheduler;
  lifecycle: ModelLifecycle;
  budget: BudgetStore;
  carbon: CarbonSource;
  clock?: () => number;
  /** Recordings waiting in spool folders, not read yet: they become jobs once read. */
  recordingsWaiting?: () => Promise<number>;
}

export interface SubmitParams {
  /** Absolute paths of audio files (the CLI expands directories). */
  paths: string[];
  priority?: Priority;
  /** "6h" (from now) or an ISO 8601 time. */
  deadline?: string;
  /** Only with a single path: the idempotency key to use. */
  id?: string;
  /** Folders the files must lie in, now and when read (set by the daemon for remote callers). */
  within?: string[];
}

export interface SubmitResult {
  submitted: Array<{ id: string; input: string; state: JobState; created: boolean; deadline: string }>;
  errors: Array<{ path: string; error: string }>;
}

export interface JobSummary {
  id: string;
  input: string;
  priority: Priority;
  state: JobState;
  deadline: string;
  submittedAt: string;
  attempts: number;
  /** The recording a spool segment or fleet job is of, where `input` is only a copy of (part of) it. */
  recording?: string;
  /** Length of the audio, where known when it was queued (a WAV's header, a segment). */
  audioSeconds?: number;
  /** A running or interrupted job's saved progress. */
  progress?: JobProgressSummary;
  /** When a done or failed job finished. */
  finishedAt?: string;
  /** Why a failed job failed: kept with its record for the operator (scheduler.retention.failedDays). */
  error?: string;
  /** A pending job past its deadline: how late, and what holds it. */
  overdue?: Overdue;
}

/** What makes a pending job's lateness known: the time now and why the scheduler holds a job. */
export interface Lateness {
  nowMs: number;
  heldBy(id: string): string;
}

/** One job's whole record, for `earshot jobs get`. */
export interface JobDetail extends JobSummary {
  sourceId?: string;
  /** A pending job within its deadline: what it waits for (past the deadline, `overdue` says). */
  waiting?: string;
}

export interface SchedulerStatus {
  thermalState: string;
  temperatureC: number | null;
  /** The box's draw now and where the figure comes from. */
  power: { watts: number; source: 'measured' | 'estimated' };
  threads: number | null;
  concurrency: number | null;
  pauseBatch: boolean;
  reasons: string[];
  model: ModelTelemetry;
  budget: Budget;
  jobs: { pending: number; running: number; done: number; failed: number };
}

/** What `jobs.retry` did for each id: put back in the queue, or why not. */
export interface RetryResult {
  retried: Array<{ id: string; deadline: string }>;
  errors: Array<{ id: string; error: string }>;
}

type Spec = { params?: Record<string, unknown>; handler(params: unknown): Promise<unknown> | unknown };

/** JSON Schemas of the methods' params (requests that fail them never reach a handler). */
export const SCHEDULER_METHOD_PARAMS: Record<string, Record<string, unknown> | undefined> = {
  'jobs.submit': {
    type: 'object',
    required: ['paths'],
    additionalProperties: false,
    properties: {
      paths: { type: 'array', minItems: 1, maxItems: 100000, items: { type: 'string', minLength: 1 } },
      priority: { enum: ['live', 'interactive', 'batch'] },
      deadline: { type: 'string' },
      id: { type: 'string' },
      within: { type: 'array', minItems: 1, maxItems: 64, items: { type: 'string', minLength: 1 } },
    },
  },
  'jobs.list': { type: 'object', additionalProperties: false, properties: { state: { enum: ['pending', 'running', 'done', 'failed', 'all'] }, limit: { type: 'integer', minimum: 1 } } },
  'jobs.get': { type: 'object', required: ['ids'], additionalProperties: false, properties: { ids: { type: 'array', items: { type: 'string' }, maxItems: 100000 } } },
  'jobs.show': { type: 'object', required: ['id'], additionalProperties: false, properties: { id: { type: 'string' } } },
  'jobs.retry': { type: 'object', required: ['ids'], additionalProperties: false, properties: { ids: { type: 'array', minItems: 1, maxItems: 100000, items: { type: 'string' } } } },
  'budget.show': undefined,
  'budget.set': {
    type: 'object',
    additionalProperties: false,
    minProperties: 1,
    properties: { powerBudgetWatts: { type: ['number', 'null'] }, softC: { type: 'number' }, hardC: { type: 'number' }, hysteresisC: { type: 'number' }, reset: { type: 'boolean' } },
  },
  'carbon.status': undefined,
  'scheduler.status': undefined,
  'model.load': undefined,
  'model.unload': undefined,
};

export function createSchedulerHandlers(deps: SchedulerHandlerDeps): Record<string, Spec> {
  const now = (): number => (deps.clock ?? Date.now)();
  const handlers: Record<string, Spec['handler']> = Object.fromEntries(Object.entries(handlerSpecs(deps, now)).map(([k, v]) => [k, v.handler]));
  const out: Record<string, Spec> = {};
  for (const [name, handler] of Object.entries(handlers)) {
    const params = SCHEDULER_METHOD_PARAMS[name];
    out[name] = params ? { params, handler } : { handler };
  }
  return out;
}

function handlerSpecs(deps: SchedulerHandlerDeps, now: () => number): Record<string, { handler: Spec['handler'] }> {
  return {
    'jobs.submit': {
      handler: (p) => submitJobs(deps, p as SubmitParams, now()),
    },
    'jobs.list': {
      handler: async (p) => {
        const { state, limit } = (p ?? {}) as { state?: string; limit?: number };
        // Counted before the queue is read: a recording leaves its folder only once its jobs
        // are queued, so a caller that sees none waiting sees all their jobs.
        const recordingsWaiting = (await deps.recordingsWaiting?.()) ?? 0;
        // finishedSinceOpen: what `earshot jobs wait` counts "N done" by (live speech left out).
        return { ...(await listJobs(deps.queue, state ?? 'all', lateness(deps, now), limit)), recordingsWaiting, finishedSinceOpen: deps.queue.finishedSinceOpen() };
      },
    },
    'jobs.get': {
      handler: async (p) => {
        const out: Record<string, JobState | 'unknown'> = {};
        for (const id of (p as { ids: string[] }).ids) out[id] = (await deps.queue.get(validateJobId(id)))?.state ?? 'unknown';
        return { states: out };
      },
    },
    'jobs.show': {
      handler: (p) => showJob(deps.queue, (p as { id: string }).id, lateness(deps, now)),
    },
    'jobs.retry': {
      handler: async (p): Promise<RetryResult> => {
        const result: RetryResult = { retried: [], errors: [] };
        for (const id of (p as { ids: string[] }).ids) {
          try {
            const job = await deps.queue.retry(validateJobId(id));
            result.retried.push({ id, deadline: job.deadline });
          } catch (err) {
            result.errors.push({ id, error: (err as Error).message });
          }
        }
        if (result.retried.length > 0) deps.scheduler.poke();
        return result;
      },
    },
    'budget.show': { handler: (): BudgetInForce => deps.budget.inForce() },
    'budget.set': {
      handler: async (p): Promise<BudgetSetResult> => {
        const { reset, ...change } = p as BudgetChange & { reset?: boolean };
        await deps.budget.set(change, reset === true);
        const b = deps.budget.inForce();
        // A pass with the new budget, so the answer says what it does now (one under the idle
        // draw pauses batch work). Not waited for long: a model reload it starts goes on.
        await Promise.race([deps.scheduler.tick(), new Promise((r) => setTimeout(r, BUDGET_PASS_WAIT_MS).unref())]);
        const d = deps.scheduler.decision;
        return d ? { ...b, effect: { pauseBatch: d.pauseBatch, pausedBy: d.pausedBy, threads: d.threads, concurrency: d.concurrency, reasons: d.reasons } } : b;
      },
    },
    'carbon.status': { handler: (): CarbonStatus => carbonStatus(deps.carbon, now()) },
    'scheduler.status': { handler: () => schedulerStatus(deps) },
    'model.load': { handler: async () => (await deps.lifecycle.ensureLoaded('earshot model load'), deps.lifecycle.telemetry()) },
    'model.unload': { handler: async () => (await deps.lifecycle.unload('earshot model unload'), deps.lifecycle.telemetry()) },
  };
}

function lateness(deps: SchedulerHandlerDeps, now: () => number): Lateness {
  return { nowMs: now(), heldBy: (id) => deps.scheduler.heldBy(id) };
}

export async function submitJobs(deps: Pick<SchedulerHandlerDeps, 'queue' | 'scheduler'>, p: SubmitParams, nowMs: number): Promise<SubmitResult> {
  const result: SubmitResult = { submitted: [], errors: [] };
  let deadline: string | undefined;
  if (p.deadline !== undefined) {
    deadline = /^\d+(\.\d+)?\s*[smhdw]$/.test(p.deadline.trim()) ? new Date(nowMs + parseDuration(p.deadline)).toISOString() : p.deadline;
    if (!Number.isFinite(Date.parse(deadline))) throw new Error(`invalid deadline ${JSON.stringify(p.deadline)}: use a duration like 6h or 2d, or an ISO 8601 time`);
    if (Date.parse(deadline) <= nowMs) throw new Error(`deadline ${deadline} is in the past`);
  }
  if (p.id !== undefined && p.paths.length !== 1) throw new Error('--id only works with a single file');
  for (const path of p.paths) {
    try {
      if (!isAbsolute(path)) throw new Error('path must be absolute (the daemon has its own working directory)');
      const rules = p.within ? { within: p.within } : {};
      const s = await statInputFile(path, rules);
      if (!s.isFile()) throw new Error('not a regular file');
      const id = p.id ?? jobIdForFile(path, s.size, s.mtimeMs);
      const audioSeconds = await wavSeconds(path, rules);
      const r = await deps.queue.submit({ id, input: path, priority: p.priority ?? 'batch', ...(deadline ? { deadline } : {}), ...(audioSeconds !== undefined ? { audioSeconds } : {}), ...(p.within ? { within: p.within } : {}) });
      result.submitted.push({ id: r.job.id, input: r.job.input, state: r.state, created: r.created, deadline: r.job.deadline });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      result.errors.push({ path, error: e.code === 'ENOENT' ? 'file not found' : e.code === 'EACCES' ? 'permission denied (the daemon runs as the earshot user)' : e.message });
    }
  }
  if (result.submitted.some((s) => s.created)) deps.scheduler.poke();
  return result;
}

/** The fields every listed job shows. */
function summary(j: JobRecord, s: JobState): JobSummary {
  return { id: j.id, input: j.input, priority: j.priority, state: s, deadline: j.deadline, submittedAt: j.submittedAt, attempts: j.attempts, ...(j.recording !== undefined ? { recording: j.recording } : {}), ...(j.audioSeconds !== undefined ? { audioSeconds: j.audioSeconds } : {}) };
}

/** `limit`: at most that many done and that many failed jobs, the most recently finished (pending and running are always all listed). */
export async function listJobs(queue: JobQueue, state: string, lateness?: Lateness, limit?: number): Promise<{ jobs: JobSummary[]; counts: ReturnType<JobQueue['counts']> }> {
  const jobs: JobSummary[] = [];
  const withProgress = async (j: JobRecord, s: JobState): Promise<JobSummary> => {
    const progress = await queue.progressSummary(j.id);
    const late = s === 'pending' && lateness ? overdue(j, lateness.nowMs, lateness.heldBy) : undefined;
    return { ...summary(j, s), ...(progress ? { progress } : {}), ...(late ? { overdue: late } : {}) };
  };
  if (state === 'all' || state === 'running') for (const j of queue.running()) jobs.push(await withProgress(j, 'running'));
  if (state === 'all' || state === 'pending') for (const j of queue.pending()) jobs.push(await withProgress(j, 'pending'));
  if (state === 'all' || state === 'done') jobs.push(...(await queue.doneRecords(limit)).map((d) => ({ ...summary(d.job, 'done'), finishedAt: d.finishedAt })));
  if (state === 'all' || state === 'failed') jobs.push(...(await queue.failedRecords(limit)).map((d) => ({ ...summary(d.job, 'failed'), finishedAt: d.finishedAt, error: d.error })));
  return { jobs, counts: queue.counts() };
}

/** One job's record with its progress, and when it finished and (failed) why. */
export async function showJob(queue: JobQueue, id: string, lateness?: Lateness): Promise<JobDetail> {
  const found = await queue.get(validateJobId(id));
  if (!found) throw new ControlError('failed', `no job ${id} in the queue`, 'finished jobs are kept for scheduler.retention.doneDays / failedDays; `earshot jobs list` shows the ids');
  const { job, state, finishedAt, error } = found;
  const progress = state === 'pending' || state === 'running' ? await queue.progressSummary(id) : undefined;
  const late = state === 'pending' && lateness ? overdue(job, lateness.nowMs, lateness.heldBy) : undefined;
  const waiting = state === 'pending' && lateness && !late ? lateness.heldBy(id) : undefined;
  return {
    ...summary(job, state),
    ...(job.sourceId !== undefined ? { sourceId: job.sourceId } : {}),
    ...(progress ? { progress } : {}),
    ...(finishedAt !== undefined ? { finishedAt } : {}),
    ...(error !== undefined ? { error } : {}),
    ...(late ? { overdue: late } : {}),
    ...(waiting !== undefined ? { waiting } : {}),
  };
}

function schedulerStatus(deps: SchedulerHandlerDeps): SchedulerStatus {
  const d = deps.scheduler.decision;
  return {
    thermalState: deps.scheduler.thermalState,
    temperatureC: deps.scheduler.temperatureC ?? null,
    power: { watts: Math.round(deps.scheduler.power.watts * 100) / 100, source: deps.scheduler.power.source },
    threads: d?.threads ?? null,
    concurrency: d?.concurrency ?? null,
    pauseBatch: d?.pauseBatch ?? false,
    reasons: d?.reasons ?? [],
    model: deps.lifecycle.telemetry(),
    budget: deps.budget.current(),
    jobs: deps.queue.counts(),
  };
}
