import { mkdir, readFile, readdir, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { Logger } from '../log/logger.js';
import type { Service } from '../service.js';
import type { EventBus } from '../bus.js';
import type { JobQueue, JobRecord } from '../scheduler/job-queue.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import { jobIdForFile } from '../scheduler/job-id.js';
import { readJson, writeDurable } from '../scheduler/durable-file.js';
import { wavSeconds } from '../scheduler/wav-duration.js';
import type { FleetOfferer } from '../mqtt/fleet/fleet-offerer.js';
import type { JobDonePayload, JobOfferPayload } from '../mqtt/payloads/job.js';
import { checkFleetSize, decodeFleetJob, encodeFleetJob, FLEET_MAX_AUDIO_BYTES, type FleetTranscribeResult } from './fleet-job.js';
import { FleetInbox } from './fleet-inbox.js';
import type { JobOutcome } from './types.js';

export interface FleetBridgeOptions {
  siteId: string;
  dataDir: string;
  queue: JobQueue;
  /** The scheduler loop; undefined until the scheduler stack has started. */
  scheduler: () => Scheduler | undefined;
  /** This box's offerer; throws a clear error when `mqtt.fleet.enabled` is off. */
  offerer: () => FleetOfferer;
  bus: EventBus;
  logger: Logger;
  maxAudioBytes?: number;
}

export interface OfferParams {
  /** Absolute paths of audio files (the CLI expands directories). */
  paths: string[];
}

export interface OfferResult {
  offered: Array<{ id: string; input: string; bytes: number; state: 'offered' | 'done'; created: boolean }>;
  errors: Array<{ path: string; error: string }>;
}

/** `<dataDir>/fleet/results/<id>.json`: a fleet job this box offered, and its first result. */
export interface FleetResultRecord {
  id: string;
  input: string;
  offeredAt: string;
  finishedAt: string;
  done: JobDonePayload;
}

type Spec = { params?: Record<string, unknown>; handler(params: unknown): Promise<unknown> | unknown };

/**
 * Joins the daemon's batch pipeline to MQTT fleet work sharing (issue #6).
 *
 * Offering (`jobs.offer`, `earshot jobs submit --fleet`): each file is read, checked against
 * the size limit, and offered to the group with its audio embedded (see fleet-job.ts). The
 * offer's id is the file's ordinary job id, so offering one unchanged file twice is one job.
 * The first result for each job is recorded durably under `<dataDir>/fleet/results/`.
 * Outstanding offers live in the offerer's memory: if the offering box dies before a job
 * is done, that job must be submitted again (its result, if any, is then found and kept).
 *
 * Taking (`runJob`, given to `MqttService.onFleetJob`): the audio is written to the inbox
 * and submitted to this box's own durable queue as `<fleet job id>.a<attempt>` at
 * `interactive` priority — the offerer chose to run it now and its lease is ticking, so the
 * taker does not hold it back for a cleaner carbon window. The runner resolves when the
 * local queue finishes the job (bus `jobDone`/`jobFailed`). One local id per attempt keeps
 * a re-offered attempt from colliding with the failed copy of an earlier one.
 *
 * Transcripts stay under the taker's site (`earshot/<taker>/transcript/fleet-<offerer>`):
 * their energy, carbon and model figures are the taker's, and `jobId` names the fleet job
 * and attempt. The `done` payload carries their ids and text, and the offerer records them,
 * so the offering site has one complete record per job without a second publication.
 */
export class FleetBridge implements Service {
  readonly name = 'fleet';
  private readonly inbox: FleetInbox;
  private readonly resultsDir: string;
  private readonly tmpDir: string;
  /** Local ids of fleet jobs this box is running for the group. */
  private readonly taking = new Set<string>();
  private readonly waiters = new Map<string, { resolve: (o: JobOutcome) => void; reject: (e: Error) => void }>();
  private readonly offering = new Set<string>();
  private started = false;

  constructor(private readonly options: FleetBridgeOptions) {
    this.inbox = new FleetInbox(join(options.dataDir, 'fleet', 'inbox'));
    this.resultsDir = join(options.dataDir, 'fleet', 'results');
    this.tmpDir = join(options.dataDir, 'fleet', 'tmp');
  }

  /** Runs before the job queue opens, so leftovers of a crash are gone before the scheduler sees them. */
  async start(): Promise<void> {
    const dropped = await this.inbox.clear();
    if (dropped > 0) this.options.logger.warn(`dropped ${dropped} fleet job file(s) left from before a restart; their offerers have offered them again`);
    await mkdir(this.resultsDir, { recursive: true, mode: 0o750 });
    await mkdir(this.tmpDir, { recursive: true, mode: 0o750 });
    this.options.bus.on(this, 'jobDone', ({ job, result }) => this.waiters.get(job.id)?.resolve(result as JobOutcome));
    this.options.bus.on(this, 'jobFailed', ({ job, error }) => this.waiters.get(job.id)?.reject(new Error(error)));
    this.started = true;
  }

  async stop(): Promise<void> {
    this.started = false;
    this.options.bus.removeOwner(this);
    for (const w of this.waiters.values()) w.reject(new Error('the daemon is stopping; the offerer offers the job again'));
    this.waiters.clear();
  }

  state(): { state: string; detail: string } {
    return { state: this.started ? 'running' : 'stopped', detail: `${this.taking.size} taken, ${this.offering.size} offered` };
  }

  /**
   * The scheduler's word for the fleet worker: the loop runs, batch work is not paused
   * (thermal or power budget), and a slot is free counting the fleet jobs already taken.
   */
  readonly hasBudget = (): boolean => {
    const scheduler = this.options.scheduler();
    if (!this.started || !scheduler || scheduler.state().state !== 'running') return false;
    const decision = scheduler.decision;
    if (!decision || decision.pauseBatch || decision.thermalState === 'hard') return false;
    const ownRunning = this.options.queue.running().filter((j) => !this.taking.has(j.id)).length;
    return ownRunning + this.taking.size < decision.concurrency;
  };

  /** Runs one job taken from the group through this box's own queue and pipeline. */
  readonly runJob = async (offer: JobOfferPayload): Promise<FleetTranscribeResult> => {
    const { queue, logger } = this.options;
    if (!this.started) throw new Error('the fleet bridge is not started');
    const { extension, audio, fileName } = decodeFleetJob(offer.job, offer.offeredBy, this.options.maxAudioBytes ?? FLEET_MAX_AUDIO_BYTES);
    const localId = `${offer.jobId}.a${offer.attempt}`;
    this.taking.add(localId);
    let input: string | undefined;
    try {
      const outcome = new Promise<JobOutcome>((resolve, reject) => this.waiters.set(localId, { resolve, reject }));
      input = await this.inbox.write(`${localId}${extension}`, audio);
      const audioSeconds = await wavSeconds(input);
      const submitted = await queue.submit({ id: localId, input, priority: 'interactive', sourceId: `fleet-${offer.offeredBy}`, ...(audioSeconds !== undefined ? { audioSeconds } : {}) });
      logger.info('fleet: taken job queued here', { jobId: offer.jobId, localId, offeredBy: offer.offeredBy, fileName, state: submitted.state });
      // A repeated delivery of an attempt this box already finished: answer from the record.
      if (submitted.state === 'done') return this.resultOf(localId, await this.doneOutcome(localId));
      if (submitted.state === 'failed') throw new Error(`fleet job ${offer.jobId} attempt ${offer.attempt} already failed on ${this.options.siteId}`);
      this.options.scheduler()?.poke();
      return this.resultOf(localId, await outcome);
    } finally {
      this.waiters.delete(localId);
      this.taking.delete(localId);
      if (input) await this.inbox.remove(input);
    }
  };

  /** Control-API methods for the controller to register. */
  handlers(): Record<string, Spec> {
    return {
      'jobs.offer': {
        params: {
          type: 'object',
          required: ['paths'],
          additionalProperties: false,
          properties: { paths: { type: 'array', minItems: 1, maxItems: 100000, items: { type: 'string', minLength: 1 } } },
        },
        handler: (p) => this.offer(p as OfferParams),
      },
      'jobs.offers': { handler: () => this.offers() },
    };
  }

  /** Offers each file to the group; returns once the offers are out (results are recorded as they come). */
  async offer(p: OfferParams): Promise<OfferResult> {
    const offerer = this.options.offerer();
    const result: OfferResult = { offered: [], errors: [] };
    for (const path of p.paths) {
      try {
        if (!isAbsolute(path)) throw new Error('path must be absolute (the daemon has its own working directory)');
        const s = await stat(path);
        if (!s.isFile()) throw new Error('not a regular file');
        const limit = this.options.maxAudioBytes ?? FLEET_MAX_AUDIO_BYTES;
        checkFleetSize(s.size, limit);
        const id = jobIdForFile(path, s.size, s.mtimeMs);
        if (await readJson<FleetResultRecord>(this.resultPath(id))) {
          result.offered.push({ id, input: path, bytes: s.size, state: 'done', created: false });
          continue;
        }
        if (this.offering.has(id)) {
          result.offered.push({ id, input: path, bytes: s.size, state: 'offered', created: false });
          continue;
        }
        const job = encodeFleetJob(path, await readFile(path), limit);
        this.offering.add(id);
        const offeredAt = new Date().toISOString();
        void offerer
          .offer(id, { ...job })
          .then((done) => this.record({ id, input: path, offeredAt, finishedAt: new Date().toISOString(), done }))
          .finally(() => this.offering.delete(id));
        result.offered.push({ id, input: path, bytes: s.size, state: 'offered', created: true });
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        result.errors.push({ path, error: e.code === 'ENOENT' ? 'file not found' : e.code === 'EACCES' ? 'permission denied (the daemon runs as the earshot user)' : e.message });
      }
    }
    return result;
  }

  /** The jobs this box has offered: those still out, and each recorded result. */
  async offers(): Promise<{ outstanding: string[]; done: Array<{ id: string; input: string; takenBy: string; status: 'ok' | 'error'; text?: string; error?: string }> }> {
    const done = [];
    for (const f of (await readdir(this.resultsDir)).sort()) {
      if (!f.endsWith('.json')) continue;
      const r = await readJson<FleetResultRecord>(join(this.resultsDir, f));
      if (!r) continue;
      const d = r.done;
      done.push(d.status === 'ok' ? { id: r.id, input: r.input, takenBy: d.takenBy, status: d.status, text: (d.result as FleetTranscribeResult | null)?.text ?? '' } : { id: r.id, input: r.input, takenBy: d.takenBy, status: d.status, error: d.error });
    }
    return { outstanding: [...this.offering].sort(), done };
  }

  private async record(r: FleetResultRecord): Promise<void> {
    try {
      await writeDurable(this.tmpDir, this.resultPath(r.id), JSON.stringify(r));
      this.options.logger.info('fleet: offered job done', { jobId: r.id, takenBy: r.done.takenBy, status: r.done.status });
    } catch (err) {
      this.options.logger.error('fleet: could not record a job result', { jobId: r.id, err });
    }
  }

  private resultPath(id: string): string {
    return join(this.resultsDir, `${id}.json`);
  }

  private async doneOutcome(localId: string): Promise<JobOutcome> {
    // The queue's done record: { job, finishedAt, result: { output, energy? } } (scheduler.ts).
    const rec = await readJson<{ job: JobRecord; result: { output: JobOutcome } }>(join(this.options.dataDir, 'queue', 'done', `${localId}.json`));
    if (!rec) throw new Error(`job ${localId} is done but its record is unreadable`);
    return rec.result.output;
  }

  private resultOf(localId: string, o: JobOutcome): FleetTranscribeResult {
    return {
      localJobId: localId,
      takenBy: this.options.siteId,
      text: o.text,
      transcripts: o.transcripts.map((t) => ({ id: t.id, text: t.text, startOffsetSec: t.startOffsetSec, endOffsetSec: t.endOffsetSec })),
      audioSec: o.audioSec,
      speechSec: o.speechSec,
      processingMs: o.processingMs,
      joules: o.joules,
    };
  }
}
