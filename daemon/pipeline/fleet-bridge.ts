import { statInputFile, readInputFile } from '../audio/open-input.js';
import { isAbsolute, join } from 'node:path';
import type { Logger } from '../log/logger.js';
import type { Service } from '../service.js';
import type { EventBus } from '../bus.js';
import type { JobQueue, JobRecord } from '../scheduler/job-queue.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import { jobIdForFile } from '../scheduler/job-id.js';
import { readJson } from '../scheduler/durable-file.js';
import { wavSeconds } from '../scheduler/wav-duration.js';
import type { FleetOfferer } from '../mqtt/fleet/fleet-offerer.js';
import { FleetJobGivenUp } from '../mqtt/fleet/fleet-worker.js';
import type { JobOfferPayload, JobResultPayload } from '../mqtt/payloads/job.js';
import { checkFleetSize, decodeFleetJob, encodeFleetJob, type FleetTranscribeJob, type FleetTranscribeResult } from './fleet-job.js';
import { fleetLimits, type MqttFleetConfig } from '../mqtt/config.js';
import { FleetInbox } from './fleet-inbox.js';
import { checkTakerResult, MAX_TAKER_ERROR_CHARS, printable } from './fleet-result-check.js';
import { FleetOfferStore, jobIdOfOffer, newOfferNonce, offerIdOf, type FleetOfferRecord } from './fleet-offer-store.js';
import { PAYLOAD_VERSION } from '../mqtt/payloads/status.js';
import type { JobOutcome } from './types.js';

/** JSON Schema of jobs.offer's params (the build compiles it: scripts/precompiled-schemas.ts). */
export const OFFER_PARAMS = {
  type: 'object',
  required: ['paths'],
  additionalProperties: false,
  properties: {
    paths: { type: 'array', minItems: 1, maxItems: 100000, items: { type: 'string', minLength: 1 } },
    within: { type: 'array', minItems: 1, maxItems: 64, items: { type: 'string', minLength: 1 } },
  },
};

export interface FleetBridgeOptions {
  siteId: string;
  dataDir: string;
  queue: JobQueue;
  /** The scheduler loop; undefined until the scheduler stack has started. */
  scheduler: () => Scheduler | undefined;
  /**
   * Why this box cannot transcribe now, if it cannot (its model cannot be loaded, a plugin
   * plugins.required names is not running): it then takes no work from the group, and hands
   * back what it took that has not started.
   */
  cannotWork?: () => string | undefined;
  /**
   * Why this box may not offer its work to the group, if it may not: with plugins.required,
   * its transcripts must go through plugins the other boxes may not run (an older taker
   * would not even know), so a taker would publish them without.
   */
  offerRefusal?: () => string | undefined;
  /** This box's offerer; throws a clear error when `mqtt.fleet.enabled` is off. */
  offerer: () => FleetOfferer;
  bus: EventBus;
  logger: Logger;
  /** `mqtt.fleet`: its size limits (maxAudioBytes, maxOutstandingBytes) apply here. */
  fleet: Pick<MqttFleetConfig, 'maxAudioBytes' | 'maxOutstandingBytes' | 'claimTimeoutSec' | 'maxHeld'>;
  /** How long results of offered jobs are kept (`scheduler.retention`); absent = for ever. */
  retention?: { doneMs: number; failedMs: number };
}

/** Old results of offered jobs are deleted this often, like the queue's records. */
const PRUNE_EVERY_MS = 3600_000;

export interface OfferParams {
  /** Absolute paths of audio files (the CLI expands directories). */
  paths: string[];
  /** Folders the files must lie in, now and when read (set by the daemon for remote callers). */
  within?: string[];
}

/** `jobs.offers`: what this box has offered to its group. */
export interface FleetOffersList {
  /** Not finished yet, oldest first: `waiting` on disk for the pump, or `out` in the group. */
  outstanding: Array<{ id: string; input: string; offeredAt: string; round: number; state: 'waiting' | 'out' }>;
  /** Every recorded result, by job id. */
  done: Array<{ id: string; input: string; takenBy: string; finishedAt: string; status: 'ok' | 'error'; text?: string; error?: string }>;
}

export interface OfferResult {
  offered: Array<{ id: string; input: string; bytes: number; state: 'offered' | 'done'; created: boolean }>;
  errors: Array<{ path: string; error: string }>;
}

type Spec = { params?: Record<string, unknown>; handler(params: unknown): Promise<unknown> | unknown };

/** Why a taken job ended here unfinished: see FleetBridge.giveUp. */
const GIVEN_UP_STOPPING = 'fleet job given up: this box stopped before finishing it; its offerer offers it again once this box is offline';
const GIVEN_UP_INTERRUPTED = 'fleet job given up: interrupted here at the thermal hard limit; handed back to its offerer, which offers it again';
const GIVEN_UP_HOT_WAITING = 'fleet job given up: this box reached its thermal hard limit before starting it; handed back to its offerer, which offers it again';
/** Why a taken job's local copy ends at the next start (see notToRunAtStart). */
const DROPPED_AT_RESTART = 'fleet job dropped at restart: this box stopped before finishing it, and its offerer has offered it again (when this box went offline) or does at the end of its lease; not run here, so that it does not run twice';
/** Why a taken job goes back while this box cannot transcribe (FleetBridgeOptions.cannotWork). */
const givenUpCannotWork = (why: string): string => `fleet job given up: this box cannot transcribe now (${why}); handed back to its offerer, which offers it again`;

/**
 * Joins the daemon's batch pipeline to MQTT fleet work sharing (issue #6).
 *
 * Offering (`jobs.offer`, `earshot jobs submit --fleet`): each file is checked against the
 * size limit and recorded on disk (`<dataDir>/fleet/offers/`) before the call returns; a pump
 * then reads it and offers it to the group with its audio embedded (see fleet-job.ts),
 * keeping at most `mqtt.fleet.maxOutstandingBytes` of audio out at once. The offer's id is the file's
 * ordinary job id, so offering one unchanged file twice is one job. The first result
 * replaces the offer on disk (`fleet/results/`). Offers still there at start are offered again,
 * from the file, so an offering box that dies loses nothing; a taker still running the old
 * offer may then finish it twice (at least once across an offerer crash; the first result
 * is the one kept).
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
 * and attempt. Their ids are the fleet job's (sharedTranscriptId), not the taker's or the
 * attempt's: a segment another taker already published before it died comes again under
 * its id. The `done` payload carries their ids and text, and the offerer records them,
 * so the offering site has one complete record per job without a second publication.
 */
export class FleetBridge implements Service {
  readonly name = 'fleet';
  private readonly inbox: FleetInbox;
  private readonly store: FleetOfferStore;
  /** Local ids of fleet jobs this box is running for the group. */
  private readonly taking = new Set<string>();
  private readonly waiters = new Map<string, { resolve: (o: JobOutcome) => void; reject: (e: Error) => void }>();
  /** Offers submitted here and not finished, by id: waiting in `backlog`, or out in the group. */
  private readonly offering = new Map<string, { record: FleetOfferRecord; out: boolean }>();
  private readonly backlog: FleetOfferRecord[] = [];
  private outstandingBytes = 0;
  private pumping = false;
  private started = false;
  private pruneTimer: NodeJS.Timeout | null = null;
  /** Inbox files of taken jobs this start cleared: their queue records are not to run. */
  private droppedAtStart = new Set<string>();

  constructor(private readonly options: FleetBridgeOptions) {
    this.inbox = new FleetInbox(join(options.dataDir, 'fleet', 'inbox'));
    this.store = new FleetOfferStore(join(options.dataDir, 'fleet'), options.logger);
  }

  /**
   * Runs after mqtt (offers made before a restart are offered again) and before the job
   * queue opens, so the leftovers of a crash are gone before the scheduler sees them.
   */
  async start(): Promise<void> {
    const dropped = await this.inbox.clear();
    this.droppedAtStart = new Set(dropped);
    // Recovery as designed, not a fault: each such job is named as the queue opens.
    if (dropped.length > 0) this.options.logger.info(`dropped ${dropped.length} fleet job file(s) left from before a restart; their offerers have offered them again`);
    await this.store.open();
    this.options.bus.on(this, 'jobDone', ({ job, result }) => this.waiters.get(job.id)?.resolve(result as JobOutcome));
    this.options.bus.on(this, 'jobFailed', ({ job, error }) => this.waiters.get(job.id)?.reject(new Error(error)));
    this.options.bus.on(this, 'jobInterrupted', ({ job, stopping, reason }) => {
      if (!this.taking.has(job.id)) return;
      // Interrupted to load the model again with fewer threads: it resumes here in a moment,
      // unless the box reached its hard limit meanwhile (then it would wait to cool).
      if (!stopping && reason === 'fewer threads' && this.options.scheduler()?.thermalState !== 'hard') return;
      void this.giveUp(job.id, stopping ? GIVEN_UP_STOPPING : GIVEN_UP_INTERRUPTED, !stopping);
    });
    // Taken jobs still waiting here would wait for the box to cool, maybe past their lease
    // (then the offerer offers them again, and both boxes run them): a cooler box takes them now.
    this.options.bus.on(this, 'thermalState', ({ state }) => {
      if (state === 'hard') void this.giveUpWaiting(GIVEN_UP_HOT_WAITING, true);
    });
    // The same while it cannot transcribe at all (its model, a required plugin): checked at
    // each scheduler pass, which also comes after a taken job was postponed for that reason.
    this.options.bus.on(this, 'schedulerDecision', () => {
      const why = this.taking.size > 0 ? this.options.cannotWork?.() : undefined;
      if (why !== undefined) void this.giveUpWaiting(givenUpCannotWork(why), true);
    });
    this.started = true;
    await this.resumeOffers();
    if (this.options.retention) {
      await this.prune();
      this.pruneTimer = setInterval(() => void this.prune(), PRUNE_EVERY_MS);
      this.pruneTimer.unref();
    }
  }

  /**
   * For the job queue as it opens (after this start): a taken job whose audio this start
   * cleared from the inbox ends there, saying its offerer offers it again. It failed at its
   * first run on the missing file before, logged as a failed job.
   */
  readonly notToRunAtStart = (job: JobRecord): string | undefined => (this.droppedAtStart.has(job.input) ? DROPPED_AT_RESTART : undefined);

  /** Deletes results of offered jobs older than `retention`; errors are logged, never thrown. */
  async prune(now = Date.now()): Promise<number> {
    const retention = this.options.retention;
    if (!retention) return 0;
    try {
      const removed = await this.store.prune(retention, now);
      if (removed > 0) this.options.logger.info(`deleted ${removed} result(s) of offered fleet jobs older than their retention`);
      return removed;
    } catch (err) {
      this.options.logger.warn('could not delete old results of offered fleet jobs', { err });
      return 0;
    }
  }

  async stop(): Promise<void> {
    this.started = false;
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    this.pruneTimer = null;
    this.options.bus.removeOwner(this);
    // Offers not yet out stay on disk and are queued again by the next start().
    this.backlog.length = 0;
    this.offering.clear();
    this.outstandingBytes = 0;
    // Taken jobs still waiting in the local queue are left unanswered: an error would reach
    // the offerer as this job's result, while silence lets it offer the job again when this
    // box's status turns offline (the worker stops with mqtt, right after this). Here they
    // end as given up, since the next start clears the inbox their audio is in.
    await this.giveUpWaiting(GIVEN_UP_STOPPING, false);
    this.waiters.clear();
  }

  state(): { state: string; detail: string } {
    if (!this.started) return { state: 'stopped', detail: '' };
    try {
      this.options.offerer();
    } catch {
      return { state: 'off', detail: 'mqtt.fleet.enabled is false (or no external broker)' };
    }
    return { state: 'running', detail: `${this.taking.size} taken, ${this.offering.size} offered` };
  }

  /**
   * The scheduler's word for the fleet worker: the loop runs, batch work is not paused
   * (thermal or power budget), the model can be loaded, and a slot is free counting the fleet jobs already taken and
   * the `waiting` claims the worker holds that have not started yet (so a box idle when a
   * burst of offers arrives claims only as many as it has slots, and hands the rest back).
   */
  readonly hasBudget = (waiting = 0): boolean => {
    const scheduler = this.options.scheduler();
    if (!this.started || !scheduler || scheduler.state().state !== 'running') return false;
    const decision = scheduler.decision;
    if (!decision || decision.pauseBatch || decision.thermalState === 'hard') return false;
    // Its jobs would wait here for the model or a plugin until their lease ran out, while a box that
    // can transcribe them stands by: such work is for the rest of the group.
    if (this.options.cannotWork?.() !== undefined) return false;
    const ownRunning = this.options.queue.running().filter((j) => !this.taking.has(j.id)).length;
    return ownRunning + this.taking.size + waiting < decision.concurrency;
  };

  /** Runs one job taken from the group through this box's own queue and pipeline. */
  readonly runJob = async (offer: JobOfferPayload): Promise<FleetTranscribeResult> => {
    const { queue, logger } = this.options;
    if (!this.started) throw new Error('the fleet bridge is not started');
    // Granted, then held by the worker for a slot while the box got too hot: straight back.
    if (this.options.scheduler()?.thermalState === 'hard') throw new FleetJobGivenUp(GIVEN_UP_HOT_WAITING);
    const cannot = this.options.cannotWork?.();
    if (cannot !== undefined) throw new FleetJobGivenUp(givenUpCannotWork(cannot));
    // Checks the id (it names a file in the inbox) as well as the audio: both come from another box.
    const { localId, extension, audio, fileName, modifiedMs } = decodeFleetJob(offer, this.limits.maxAudioBytes);
    this.taking.add(localId);
    let input: string | undefined;
    try {
      const outcome = new Promise<JobOutcome>((resolve, reject) => this.waiters.set(localId, { resolve, reject }));
      // Marked handled: on the early returns below nobody awaits it, and a late failure must not crash the daemon.
      outcome.catch(() => undefined);
      input = await this.inbox.write(`${localId}${extension}`, audio, modifiedMs);
      const audioSeconds = await wavSeconds(input);
      // Ids the same on every taker, attempt and offer round: a taker that dies after
      // publishing some leaves the next one's repeats of them under the same ids.
      const idScope = `fleet/${offer.offeredBy}/${jobIdOfOffer(offer.jobId)}`;
      const submitted = await queue.submit({ id: localId, input, priority: 'interactive', sourceId: `fleet-${offer.offeredBy}`, idScope, ...(plainName(fileName) ? { recording: fileName } : {}), ...(audioSeconds !== undefined ? { audioSeconds } : {}) });
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

  /**
   * A taken job interrupted here is not resumed here, unless it was interrupted only to load
   * the model again with fewer threads (it resumes in a moment). After a stop it cannot be:
   * the next start clears the inbox its audio is in, since its offerer offers it again once
   * this box is offline. At the thermal hard limit it should not be: waiting to cool could outlast
   * the offerer's lease, and the job would then run twice; a cooler box can take it now. It
   * ends as failed here with that said, and the worker hands it back to its offerer (not as
   * an error, which would reach the offerer as the job's result; see stop()).
   */
  private async giveUp(localId: string, why: string, handBack: boolean): Promise<void> {
    // Ends runJob (its slot, its inbox file) without a result for the offerer; once only,
    // though two passes (or a pass and the thermal limit) may find it waiting at once.
    const waiter = this.waiters.get(localId);
    if (!waiter) return;
    waiter.reject(new FleetJobGivenUp(why, handBack));
    this.waiters.delete(localId);
    await this.options.queue.fail(localId, why).catch((err: unknown) => this.options.logger.warn('could not record a given-up fleet job', { localId, err }));
    this.options.logger.info(why, { localId });
  }

  /** Gives up the taken jobs that wait in the local queue, not started. */
  private async giveUpWaiting(why: string, handBack: boolean): Promise<void> {
    for (const localId of [...this.taking]) {
      if ((await this.options.queue.get(localId).catch(() => undefined))?.state === 'pending') await this.giveUp(localId, why, handBack);
    }
  }

  /** Control-API methods for the controller to register. */
  handlers(): Record<string, Spec> {
    return {
      'jobs.offer': {
        params: OFFER_PARAMS,
        handler: (p) => this.offer(p as OfferParams),
      },
      'jobs.offers': { handler: () => this.offers() },
    };
  }

  /** Queues each file for the group; returns once the offers are on disk (they go out, and results are recorded, as the pump runs). */
  async offer(p: OfferParams): Promise<OfferResult> {
    this.options.offerer();
    const refusal = this.options.offerRefusal?.();
    if (refusal !== undefined) throw new Error(`not offered to the group: ${refusal}; submit without --fleet`);
    const result: OfferResult = { offered: [], errors: [] };
    for (const path of p.paths) {
      try {
        if (!isAbsolute(path)) throw new Error('path must be absolute (the daemon has its own working directory)');
        const rules = p.within ? { within: p.within } : {};
        const s = await statInputFile(path, rules);
        if (!s.isFile()) throw new Error('not a regular file');
        checkFleetSize(s.size, this.maxBytes);
        const id = jobIdForFile(path, s.size, s.mtimeMs);
        const known = this.offering.has(id) ? 'offered' : (await this.store.result(id)) ? 'done' : undefined;
        if (known) {
          result.offered.push({ id, input: path, bytes: s.size, state: known, created: false });
          continue;
        }
        const record: FleetOfferRecord = { id, input: path, offeredAt: new Date().toISOString(), round: 1, nonce: newOfferNonce(), ...rules };
        await this.store.add(record);
        this.enqueue(record);
        result.offered.push({ id, input: path, bytes: s.size, state: 'offered', created: true });
      } catch (err) {
        result.errors.push({ path, error: describeFileError(err) });
      }
    }
    return result;
  }

  /** The jobs this box has offered: those still out, and each recorded result. */
  async offers(): Promise<FleetOffersList> {
    const done = (await this.store.results()).map((r) => {
      const d = r.done;
      const common = { id: r.id, input: r.input, takenBy: d.takenBy, finishedAt: r.finishedAt };
      if (d.status !== 'ok') return { ...common, status: d.status, error: printable(String(d.error), MAX_TAKER_ERROR_CHARS) };
      // Records made before results were checked may hold anything another box sent.
      const text = (d.result as Partial<FleetTranscribeResult> | null)?.text;
      return { ...common, status: d.status, text: typeof text === 'string' ? text : '' };
    });
    const outstanding = [...this.offering.values()]
      .map(({ record, out }) => ({ id: record.id, input: record.input, offeredAt: record.offeredAt, round: record.round, state: out ? ('out' as const) : ('waiting' as const) }))
      .sort((a, b) => a.offeredAt.localeCompare(b.offeredAt) || a.id.localeCompare(b.id));
    return { outstanding, done };
  }

  private get maxBytes(): number {
    return this.limits.maxAudioBytes;
  }

  private get limits() {
    return fleetLimits(this.options.fleet);
  }

  private enqueue(record: FleetOfferRecord): void {
    this.offering.set(record.id, { record, out: false });
    this.backlog.push(record);
    void this.pump();
  }

  /**
   * Publishes queued offers while the audio out in the group stays under maxOutstandingBytes:
   * the offerer holds every outstanding offer (audio included) in memory, so a backlog of
   * thousands of files waits on disk and goes out as results come back.
   */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.started && this.backlog.length > 0 && this.outstandingBytes < this.limits.maxOutstandingBytes) {
        const record = this.backlog.shift()!;
        let job: FleetTranscribeJob;
        let result: Promise<JobResultPayload>;
        try {
          // An offer stored before plugins.required was set (and this restart) goes out no more.
          const refusal = this.options.offerRefusal?.();
          if (refusal !== undefined) throw new Error(refusal);
          // The file is read now, not at submit: it must still be the one submitted.
          const rules = record.within ? { within: record.within } : {};
          // One open: the size checked, the id compared and the bytes read are of the same file.
          const { data, stats } = await readInputFile(record.input, rules, this.maxBytes, (bytes) => new Error(`${bytes} bytes is over the fleet limit of ${this.maxBytes} bytes; submit it without --fleet`));
          if (jobIdForFile(record.input, stats.size, stats.mtimeMs) !== record.id) throw new Error('the file has changed since it was submitted; submit it again');
          job = encodeFleetJob(record.input, data, this.maxBytes, stats.mtimeMs);
          result = this.options.offerer().offer(offerIdOf(record), { ...job });
        } catch (err) {
          const error = `cannot offer ${record.input}: ${describeFileError(err)}`;
          this.options.logger.warn(error, { jobId: record.id });
          await this.finish(record, { v: PAYLOAD_VERSION, jobId: record.id, attempt: 0, takenBy: this.options.siteId, ts: new Date().toISOString(), status: 'error', error });
          this.offering.delete(record.id);
          continue;
        }
        const bytes = job.bytes;
        this.outstandingBytes += bytes;
        const entry = this.offering.get(record.id);
        if (entry) entry.out = true;
        void result
          // From another box: checked before it is recorded and shown (see checkTakerResult).
          .then((done) => this.finish(record, checkTakerResult(done)))
          .finally(() => {
            this.offering.delete(record.id);
            this.outstandingBytes = Math.max(0, this.outstandingBytes - bytes);
            void this.pump();
          });
      }
    } finally {
      this.pumping = false;
    }
  }

  /** Offers made before a restart that have no result yet go out again (under a new wire id). */
  private async resumeOffers(): Promise<void> {
    const unfinished = await this.store.unfinished();
    if (unfinished.length === 0) return;
    try {
      this.options.offerer();
    } catch (err) {
      this.options.logger.warn(`${unfinished.length} fleet offer(s) from before a restart wait until fleet work sharing is on again`, { err });
      return;
    }
    this.options.logger.info(`offering ${unfinished.length} fleet job(s) again after a restart`);
    for (const record of unfinished) {
      const again = { ...record, round: record.round + 1, nonce: newOfferNonce() };
      await this.store.add(again);
      this.enqueue(again);
    }
  }

  private async finish(record: FleetOfferRecord, done: JobResultPayload): Promise<void> {
    try {
      await this.store.finish({ ...record, finishedAt: new Date().toISOString(), done });
      this.options.logger.info('fleet: offered job done', { jobId: record.id, takenBy: done.takenBy, status: done.status });
    } catch (err) {
      this.options.logger.error('fleet: could not record a job result', { jobId: record.id, err });
    }
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

function describeFileError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code === 'ENOENT' ? 'file not found' : e.code === 'EACCES' ? 'permission denied (the daemon runs as the earshot user)' : (e.message ?? String(err));
}

/** An offered file name fit to name the recording in transcripts: short, no control characters. */
function plainName(name: string): boolean {
  return /^[^\x00-\x1f\x7f]{1,255}$/.test(name);
}
