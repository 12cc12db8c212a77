import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from '../log/logger.js';
import type { Service, ServiceState } from '../service.js';
import type { EventBus } from '../bus.js';
import type { CarbonSource, IntensityReading } from '../energy/carbon/types.js';
import { CarbonHealth } from './carbon-health.js';
import type { EnergySpanStart, JobEnergyTracker } from '../energy/job-energy-tracker.js';
import type { JobEnergy } from '../energy/job-energy.js';
import { gramsCo2e } from '../energy/job-energy.js';
import type { EnergyLedger, LedgerEntry } from '../energy/ledger.js';
import type { JobQueue, JobRecord } from './job-queue.js';
import type { ModelLifecycle, ModelTelemetry } from './model-lifecycle.js';
import { RELOAD_DRAIN_AFTER_MS, decide, type InterruptReason, type PolicyDecision, type PolicyJob, type PolicyLimits, type ThermalState } from './policy.js';
import { REQUIRED_PLUGIN_FAILED, isTransient, transientReason } from '../shortage/transient-errors.js';
import { NewerFormatError } from '../state-format.js';
import { RepeatedStops, stoppedTooOften } from '../shortage/repeated-stops.js';
import { RetryBackoff } from '../shortage/retry-backoff.js';
import { isJobInterrupted } from './job-interrupted.js';
import { OverdueWarnings, describeLateness, whyHeld } from './overdue-jobs.js';
import { describeReadings, threadCount } from './status-readings.js';

/** A run's energy with its carbon at the grid intensity when it ended. */
export type RunEnergy = JobEnergy & { gCO2e: number; intensity: IntensityReading };

declare module '../bus.js' {
  interface BusEvents {
    /** A job finished (once per job, ever). */
    jobDone: { job: JobRecord; result: unknown; energy?: RunEnergy };
    jobFailed: { job: JobRecord; error: string };
    /**
     * A running job was interrupted and put back in the queue: by the daemon's stop
     * (`stopping`), or by the policy, for `reason`.
     */
    jobInterrupted: { job: JobRecord; stopping: boolean; reason?: InterruptReason };
    /** The thermal state changed (normal → soft → hard and back). */
    thermalState: { state: ThermalState; temperatureC: number | undefined };
    /** The last decision, for telemetry. */
    schedulerDecision: { decision: PolicyDecision; model: ModelTelemetry; intensity: IntensityReading };
  }
}

export interface SchedulerOptions {
  queue: JobQueue;
  lifecycle: ModelLifecycle;
  carbon: CarbonSource;
  /** Current limits; a function so `earshot budget set` applies live. */
  limits: () => PolicyLimits;
  /** The scheduler's temperature sensor (°C), undefined when unreadable. */
  readTemperature: () => Promise<number | undefined>;
  /** That sensor's id (`earshot hardware`), for `earshot status`; undefined when the box has none. */
  thermalSensor?: string;
  /** A whole-box meter's current draw, when the box has one. */
  readWatts?: () => Promise<number | undefined>;
  /** The box's memory now: whether it is under pressure, and how much more may be taken before it is. */
  memory?: () => Promise<MemoryReading | undefined>;
  power: { idleWatts: number; wattsPerThread: number };
  model: { idleUnloadMs: number; preloadMs: number };
  /** Expected run time of a job at full threads (audio seconds × real-time factor). */
  expectedMs: (job: JobRecord) => number;
  energy?: JobEnergyTracker;
  ledger?: EnergyLedger;
  bus?: EventBus;
  logger: Logger;
  /** How often to re-decide without an event (thermal and power react at this pace). */
  tickMs: number;
  /**
   * The thermal state the daemon left just before this start (ThermalStateFile): the first
   * pass's hysteresis goes on from it, so a box cooling from a limit stays throttled or paused
   * until it is below softC − hysteresisC. Normal when not given.
   */
  thermalStateAtStart?: ThermalState;
  /** The temperature that state was saved at: the sensor read then, so failing to read now is losing it. */
  temperatureAtStartC?: number;
  /**
   * On stop, how long running jobs may go on before they are interrupted at their next safe
   * point (a file job between batches of segments; it resumes from there after the restart).
   */
  stopGraceMs: number;
  forecastHorizonMs?: number;
  /** How long the carbon source may be other than live before `earshot status` calls it a problem (carbon-health.ts). */
  carbonProblemAfterMs?: number;
  clock?: () => number;
  /**
   * Why no job may start now, when something every transcript needs is missing (a plugin
   * plugins.required names is not running); read each pass. Poke the scheduler when it changes.
   */
  holdWork?: () => string | undefined;
}

export interface MemoryReading {
  /** Available memory is below the configured share (model.memoryPressurePercent). */
  pressure: boolean;
  /** How much more may be taken before it is (negative once it is), when the box says. */
  headroomBytes?: number;
}

/**
 * A second session, loaded beside the serving one for an in-place reload, holds about twice
 * the model's bytes until the first is released: its own weights, onnxruntime's prepacked
 * copies of some of them, and its own arena (measured with the shipped model: +22 MB for a
 * second session of a 12.4 MB file). Without that much room before memory pressure, the
 * model is loaded again only once idle, in place of the old session: the OOM killer on a
 * small box would otherwise pick the daemon, or something else running there.
 */
export const SECOND_SESSION_FACTOR = 2;

/**
 * Runs in a row that a required plugin may fail on a job's transcripts before the job is
 * failed: a plugin that fails now and then gets its retries, a transcript it always fails on
 * does not hold its job (and, once the plugin is set aside, every job) for ever.
 */
const MAX_REQUIRED_PLUGIN_FAILURES = 2;

/** The failure of a job whose transcripts a required plugin kept failing on. */
function requiredPluginFailedTooOften(err: unknown, id: string): string {
  const message = err instanceof Error ? err.message : String(err);
  return `${message}; it failed on this job's transcripts ${MAX_REQUIRED_PLUGIN_FAILURES + 1} times in a row, so the job is failed: nothing of it was published (mend the plugin, then earshot jobs retry ${id})`;
}

/** Failed sensor reads in a row (scheduler passes) before the sensor counts as lost. */
const SENSOR_LOST_AFTER = 3;

/**
 * What of the box's heat an operator should mend (`earshot status --check` exits 6 for it):
 * batch work paused at the hard limit, which a box whose cooling works (fan, air flow, dust)
 * does not reach under its own work, and a sensor that no longer reads, which leaves the
 * limits unkept. The soft limit's throttling is the scheduler doing its job: not a problem.
 */
function heatProblems(d: PolicyDecision | undefined, sensorLost: boolean, sensor: string | undefined): string[] {
  const hard = d?.thermalState === 'hard' ? d.reasons.find((r) => r.startsWith('thermal hard limit')) : undefined;
  return [
    ...(hard ? [`${hard}; the box's cooling (fan, air flow, dust) needs a look`] : []),
    ...(sensorLost ? [`the thermal sensor${sensor ? ` ${sensor}` : ''} cannot be read (gone, or an implausible value): the box is throttled, or kept paused, without knowing its temperature`] : []),
  ];
}

/** The abort reason of a job's interrupt: its log line, and the policy's reason if it was the policy's. */
class InterruptRequest extends Error {
  constructor(
    message: string,
    readonly reason: InterruptReason | undefined,
  ) {
    super(message);
  }
}

/**
 * Whether `next` says more about what happens to the job than `asked`: only a reload with
 * fewer threads is outweighed (by the hard limit, the budget, the daemon's stop), as the job
 * then waits in the queue rather than resuming at once.
 */
function outweighs(next: InterruptRequest, asked: InterruptRequest): boolean {
  return asked.reason === 'fewer threads' && next.reason !== 'fewer threads';
}

/** What an interrupted job's log line says, by why it was interrupted. */
const STOPPING = 'job interrupted by the stop; it resumes after the restart';
const INTERRUPTED_BECAUSE: Record<PolicyDecision['interrupt'][number]['reason'], string> = {
  'thermal hard limit': 'job interrupted at the thermal hard limit; it resumes where it stopped once the box has cooled',
  'power budget': 'job interrupted: the power budget leaves room for live work only; it resumes where it stopped when the budget allows',
  'fewer threads': 'job interrupted: the model is loaded again with fewer threads (thermal soft limit or power budget); it resumes where it stopped',
};

/**
 * Applies the policy: on every tick (and when jobs arrive or finish, and at each half hour
 * when carbon periods change — via node-cron) it reads the sensors, asks `decide`, starts the
 * jobs it says, and loads, preloads or unloads the model.
 */
export class Scheduler implements Service {
  readonly name = 'scheduler';
  private timer: NodeJS.Timeout | undefined;
  private wake: NodeJS.Timeout | undefined;
  private periodTask: ScheduledTask | undefined;
  private thermal: ThermalState = 'normal';
  private lastDecision: PolicyDecision | undefined;
  private readonly carbonHealth: CarbonHealth;
  /** holdWork's reason as of the last pass. */
  private holding: string | undefined;
  private lastTemperature: number | undefined;
  /** The thermal sensor's last reading (undefined until it ever read), and its failed reads in a row since. */
  private lastReadC: number | undefined;
  private sensorFailures = 0;
  private lastWatts: number | undefined;
  private readonly active = new Map<string, Promise<void>>();
  /** Jobs put back after a shortage of the box, and when each may run again. */
  private readonly backoff = new RetryBackoff();
  /** Jobs whose decoder was stopped by a signal, runs in a row. */
  private readonly decoderStops = new RepeatedStops();
  /** Jobs whose transcripts a running required plugin failed on, runs in a row. */
  private readonly requiredFailures = new RepeatedStops(REQUIRED_PLUGIN_FAILED, MAX_REQUIRED_PLUGIN_FAILURES);
  private retryTimer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  /** Each running job's interrupt: aborted when a stop's grace is over, or by the policy. */
  private readonly interrupts = new Map<string, AbortController>();
  /**
   * Why each interrupted running job was asked to stop, the weightiest reason so far: a job
   * asked to stop for fewer threads that is still on its way to its safe point when the hard
   * limit comes stops for the hard limit (a taken fleet job is then handed back).
   */
  private readonly interruptReasons = new Map<string, InterruptRequest>();
  /** When the passes began to want the model loaded again with fewer threads (policy input). */
  private reloadWantedSinceMs: number | undefined;
  /** Held jobs already said to have missed their deadline. */
  private readonly overdueWarnings = new OverdueWarnings();

  constructor(private readonly options: SchedulerOptions) {
    this.carbonHealth = new CarbonHealth(options.carbonProblemAfterMs);
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.thermal = this.options.thermalStateAtStart ?? 'normal';
    // A state taken up from before the start was read from the sensor then: if it cannot be
    // read now, that is a lost sensor (a problem, and throttled as at the soft limit), not one
    // that never read, which would hold the saved state with nothing to end it.
    if (this.options.thermalStateAtStart !== undefined) this.lastReadC ??= this.options.temperatureAtStartC ?? Number.NaN;
    this.timer = setInterval(() => this.poke(), this.options.tickMs);
    // Carbon periods are half-hourly: decide again as each one starts.
    this.periodTask = cron.schedule('0 0,30 * * * *', () => this.poke(), { name: 'earshot-carbon-period', noOverlap: true });
    await this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.wake) clearTimeout(this.wake);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.timer = this.wake = this.retryTimer = undefined;
    await this.periodTask?.destroy();
    this.periodTask = undefined;
    await this.ticking;
    await this.endRunningJobs();
  }

  /**
   * Running jobs get the grace to finish; then they are interrupted at their next safe point
   * and go back to the queue, their progress saved. Waiting for them without a limit ran
   * into systemd's stop timeout on a long recording: the SIGKILL then counted the try
   * against the job, and a few restarts during one long job failed it for good.
   */
  private async endRunningJobs(): Promise<void> {
    const running = Promise.allSettled([...this.active.values()]);
    if (this.active.size === 0) return;
    let graceTimer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'grace over'>((resolve) => (graceTimer = setTimeout(() => resolve('grace over'), this.options.stopGraceMs)));
    const first = await Promise.race([running, graceOver]);
    clearTimeout(graceTimer);
    if (first === 'grace over' && this.active.size > 0) {
      this.options.logger.info(`stopping: interrupting ${this.active.size} running job(s) at their next safe point; each resumes from there after the restart`, { jobs: [...this.active.keys()].join(', '), graceMs: this.options.stopGraceMs });
      for (const id of this.active.keys()) this.interruptJob(id, STOPPING);
    }
    await running;
  }

  /**
   * Asks a running job to end at its next safe point; `message` is what its log line says,
   * `reason` the policy's (none for the daemon's stop).
   */
  private interruptJob(id: string, message: string, reason?: InterruptReason): boolean {
    const controller = this.interrupts.get(id);
    if (!controller) return false;
    const request = new InterruptRequest(message, reason);
    if (controller.signal.aborted) {
      const asked = this.interruptReasons.get(id);
      if (!asked || !outweighs(request, asked)) return false;
      this.interruptReasons.set(id, request);
      return true;
    }
    this.interruptReasons.set(id, request);
    controller.abort(request);
    return true;
  }

  /** For `earshot status`: with the decision's reasons, so that "paused" or a thread cap says why. */
  state(): ServiceState & { detail: string } {
    const d = this.lastDecision;
    const { lifecycle } = this.options;
    const model = lifecycle.unavailable !== undefined ? `model cannot be loaded (${lifecycle.unavailable}); jobs wait for it` : `model ${lifecycle.state}${lifecycle.threads !== undefined ? ` (${threadCount(lifecycle.threads)})` : ''}`;
    const held = this.holding !== undefined ? [`no job starts: ${this.holding}`] : [];
    const readings = describeReadings(this.lastTemperature, this.options.thermalSensor, this.power, this.options.limits().powerBudgetWatts);
    const detail = d ? [...held, `thermal ${d.thermalState}, ${readings}, ${threadCount(d.threads)} × ${d.concurrency}, ${model}`, ...d.reasons].join('; ') : 'starting';
    // Between passes (half-hourly at the least) the feed may have come back or gone: look now.
    this.carbonHealth.observe(this.options.carbon.current((this.options.clock ?? Date.now)()));
    const problem = [lifecycle.unavailable !== undefined ? `the model cannot be loaded (${lifecycle.unavailable}); jobs wait for it` : undefined, this.holding !== undefined ? `no job starts: ${this.holding}` : undefined, ...heatProblems(d, this.sensorFailures >= SENSOR_LOST_AFTER, this.options.thermalSensor), this.carbonHealth.problem()].filter(Boolean).join('; ');
    return { state: this.stopped ? 'stopped' : d?.pauseBatch || this.holding !== undefined ? 'paused' : 'running', detail, ...(problem ? { problem } : {}) };
  }

  /** Why a pending job is not running, as of the last decision (for `jobs list` / `jobs get`). */
  heldBy(id: string): string {
    return this.holding ?? whyHeld(this.lastDecision, id, this.backoff.waiting(id));
  }

  get thermalState(): ThermalState {
    return this.thermal;
  }

  get decision(): PolicyDecision | undefined {
    return this.lastDecision;
  }

  get temperatureC(): number | undefined {
    return this.lastTemperature;
  }

  /** The box's draw at the last tick: the meter's when there is one, else the power model's. */
  get power(): { watts: number; source: 'measured' | 'estimated' } {
    if (this.lastWatts !== undefined) return { watts: this.lastWatts, source: 'measured' };
    const busy = this.options.queue.running().length * this.busyThreadsPerJob(0);
    return { watts: this.options.power.idleWatts + busy * this.options.power.wattsPerThread, source: 'estimated' };
  }

  /** Threads a running job keeps busy: the session's, when it is loaded, else the plan's. */
  private busyThreadsPerJob(fallback: number): number {
    return this.options.lifecycle.threads ?? this.lastDecision?.threads ?? fallback;
  }

  /**
   * The loaded session's intra-op threads when it runs on the CPU. On a GPU (CUDA, CoreML)
   * they do little of the work: loading the model again to change them would cost a
   * session build and interrupted work for no saving, so the policy is not told of them.
   */
  private cpuSessionThreads(): number | undefined {
    return this.options.lifecycle.state === 'loaded' && this.options.lifecycle.device === 'cpu' ? this.options.lifecycle.threads : undefined;
  }

  /** Re-decide soon (a job arrived, a limit changed). */
  poke(): void {
    if (this.stopped) return;
    void this.tick();
  }

  /** One decision and its application; concurrent calls coalesce into one more pass. */
  tick(): Promise<void> {
    if (this.ticking) {
      this.again = true;
      return this.ticking;
    }
    this.ticking = (async () => {
      do {
        this.again = false;
        try {
          await this.once();
        } catch (err) {
          this.options.logger.error('scheduler pass failed', { err });
        }
      } while (this.again && !this.stopped);
    })().finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  /**
   * Whether the thermal sensor is lost: it read before, and has now failed
   * SENSOR_LOST_AFTER reads in a row. Said once when it goes and once when it is back.
   */
  private trackSensor(temperatureC: number | undefined): boolean {
    if (temperatureC !== undefined) {
      if (this.sensorFailures >= SENSOR_LOST_AFTER) this.options.logger.info('thermal sensor reads again', { temperatureC });
      this.sensorFailures = 0;
      this.lastReadC = temperatureC;
      return false;
    }
    if (this.lastReadC === undefined) return false;
    this.sensorFailures += 1;
    if (this.sensorFailures === SENSOR_LOST_AFTER) {
      this.options.logger.warn(`thermal sensor unreadable ${SENSOR_LOST_AFTER} times in a row (gone, or an implausible value); throttling as at the soft limit (or staying paused, if it was past the hard limit) until it reads again`, { lastReadC: this.lastReadC });
    }
    return this.sensorFailures >= SENSOR_LOST_AFTER;
  }

  private async once(): Promise<void> {
    if (this.stopped) return;
    const o = this.options;
    const now = (o.clock ?? Date.now)();
    const [temperatureC, measuredWatts, memory] = await Promise.all([o.readTemperature(), o.readWatts?.(), o.memory?.()]);
    const memoryPressure = memory?.pressure ?? false;
    const sensorLost = this.trackSensor(temperatureC);
    this.lastTemperature = temperatureC;
    this.lastWatts = measuredWatts;
    const running = o.queue.running();
    const pending = o.queue.pending();
    const toPolicy = (j: JobRecord): PolicyJob => ({ id: j.id, priority: j.priority, submittedAtMs: Date.parse(j.submittedAt), deadlineMs: Date.parse(j.deadline), expectedMs: o.expectedMs(j) });
    const lastUsedMs = o.lifecycle.lastUsed;
    const loadedCpuThreads = this.cpuSessionThreads();
    const reloadsInPlace = o.lifecycle.reloadsInPlace;
    /** Where an in-place reload could be tried and the box says its memory: what a second session would take, and the room for it. */
    const room = reloadsInPlace && memory?.headroomBytes !== undefined ? { needBytes: SECOND_SESSION_FACTOR * o.lifecycle.telemetry().residentBytes, headroomBytes: memory.headroomBytes } : undefined;
    const limits = o.limits();
    // Held jobs are none the policy may run: it then unloads an idle model as for an empty
    // queue, rather than keeping it loaded for jobs that cannot start (for days, maybe).
    const held = this.trackHold();
    const decision = decide({
      nowMs: now,
      queue: held ? [] : pending.filter((j) => !this.backoff.waiting(j.id)).map(toPolicy),
      running: running.map(toPolicy),
      forecast: o.carbon.forecast(now, o.forecastHorizonMs ?? 48 * 3600e3),
      limits,
      temperatureC,
      sensorLost,
      thermalState: this.thermal,
      power: { ...o.power, ...(measuredWatts !== undefined ? { measuredWatts, busyThreads: running.length * this.busyThreadsPerJob(1) } : {}) },
      model: {
        loaded: o.lifecycle.state === 'loaded',
        ...(lastUsedMs !== undefined ? { lastUsedMs } : {}),
        ...(loadedCpuThreads !== undefined ? { threads: loadedCpuThreads } : {}),
        ...(this.reloadWantedSinceMs !== undefined ? { reloadWaitingMs: performance.now() - this.reloadWantedSinceMs } : {}),
        reloadsInPlace,
        idleUnloadMs: o.model.idleUnloadMs,
        preloadMs: o.model.preloadMs,
        memoryPressure,
        ...(room ? { secondSessionFits: room.headroomBytes >= room.needBytes } : {}),
      },
    });
    // From the first pass that wants fewer threads until one that no longer does; on the
    // monotonic clock, which an NTP step does not move.
    if (!decision.reloadWanted) this.reloadWantedSinceMs = undefined;
    else this.reloadWantedSinceMs ??= performance.now();
    if (decision.reloadWanted && !this.lastDecision?.reloadWanted && room) {
      const size = (bytes: number) => (bytes >= 1e6 ? `${Math.round(bytes / 1e6)} MB` : `${Math.round(bytes / 1e3)} kB`);
      o.logger.info(`the model is to be loaded again with ${decision.sessionThreads} threads once idle, not in place: a second session beside it needs about ${size(room.needBytes)}, and ${size(Math.max(0, room.headroomBytes))} is left before memory pressure`);
    }
    if (decision.draining && !this.lastDecision?.draining) {
      o.logger.info(`the model is to be loaded again with ${decision.sessionThreads} threads, and running work has not left it idle for ${RELOAD_DRAIN_AFTER_MS / 1000} s: new live work waits for the reload`);
    }
    if (decision.thermalState !== this.thermal) {
      o.logger.warn(`thermal state ${this.thermal} → ${decision.thermalState}`, { temperatureC });
      o.bus?.emit('thermalState', { state: decision.thermalState, temperatureC });
    }
    this.thermal = decision.thermalState;
    this.lastDecision = decision;
    o.lifecycle.wantThreads(decision.sessionThreads);
    const intensity = o.carbon.current(now);
    this.carbonHealth.observe(intensity);
    o.bus?.emit('schedulerDecision', { decision, model: o.lifecycle.telemetry(), intensity });

    if (decision.model === 'unload') {
      const why = decision.thermalState === 'hard' ? 'thermal hard limit' : memoryPressure ? 'memory pressure' : 'idle timeout';
      await o.lifecycle.unload(why);
    } else if (decision.model === 'preload') {
      void o.lifecycle.ensureLoaded('preload before a scheduled window', decision.sessionThreads).catch((err: unknown) => o.logger.error('preload failed', { err }));
    } else if (decision.model === 'retune') {
      const why = decision.thermalState !== 'normal' ? `thermal ${decision.thermalState}` : limits.powerBudgetWatts !== null ? 'power budget' : 'limits changed';
      const retuned = o.lifecycle.retune(decision.sessionThreads, why, decision.retuneInPlace).catch((err: unknown) => o.logger.error('could not load the model again with another thread count', { err }));
      // In place, the loaded model goes on serving meanwhile: this pass's jobs need not wait.
      if (!decision.retuneInPlace) await retuned;
    }
    for (const { id, reason } of decision.interrupt) {
      if (this.interruptJob(id, INTERRUPTED_BECAUSE[reason], reason)) o.logger.info(`interrupting running job at its next safe point: ${reason}`, { id });
    }
    for (const id of decision.run) {
      // A stop that came while this pass read the sensors: its grace covers only jobs already running.
      if (this.stopped) break;
      if (this.active.has(id)) continue;
      const p = this.runJob(id, decision.sessionThreads).finally(() => {
        this.active.delete(id);
        this.poke();
      });
      this.active.set(id, p);
    }
    this.warnOverdue(decision.run, pending, running, now);
    this.armWake(decision, now);
    this.armRetry();
  }

  /**
   * Says once per job when one held back (not started by this pass) has missed its deadline.
   * `pending` and `running`: the queue as this pass read it.
   */
  private warnOverdue(startedIds: string[], pending: JobRecord[], running: JobRecord[], now: number): void {
    const o = this.options;
    const queued = new Set([...pending, ...running].map((j) => j.id));
    const started = new Set(startedIds);
    const held = pending.filter((j) => !started.has(j.id));
    for (const job of this.overdueWarnings.newlyOverdue(held, queued, now)) {
      const late = describeLateness(Math.ceil((now - Date.parse(job.deadline)) / 1000));
      o.logger.warn(`job ${job.id} is ${late} past its deadline and still waits to run; held by: ${this.heldBy(job.id)}`, { id: job.id, deadline: job.deadline, priority: job.priority });
    }
  }

  /** Whether jobs are held now (holdWork); says so when that begins and when it ends. */
  private trackHold(): boolean {
    const held = this.options.holdWork?.();
    if (held !== undefined && this.holding === undefined) this.options.logger.warn(`no job starts until this is mended: ${held}`);
    if (held === undefined && this.holding !== undefined) this.options.logger.info('jobs start again: what held them is mended');
    this.holding = held;
    return held !== undefined;
  }

  /** Wake up when the earliest postponed job may run again. */
  private armRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const inMs = this.backoff.nextInMs();
    if (inMs === undefined || this.stopped) return;
    this.retryTimer = setTimeout(() => this.poke(), inMs + 10);
  }

  /**
   * The disk or the process ran out of something the job needs, or a helper process (the
   * decoder) was stopped by a signal someone sent: the job is not at fault and
   * its audio must not be thrown away. It stays pending, the try does not count as an
   * attempt, and it runs again after a wait that doubles up to a minute.
   */
  private async postpone(id: string, err: unknown, attemptRecorded: boolean): Promise<void> {
    const o = this.options;
    const waitMs = this.backoff.postpone(id);
    o.logger.error(`job postponed: ${transientReason(err)}; it runs again in ${Math.round(waitMs / 1000)} s`, { id, error: err instanceof Error ? err.message : String(err) });
    // Only a try that markStarted counted is taken back; one that failed to start counted nothing.
    if (attemptRecorded) await o.queue.postpone(id);
  }

  /** Wake up when the earliest deferred job's window opens (or the model should preload). */
  private armWake(decision: PolicyDecision, now: number): void {
    if (this.wake) clearTimeout(this.wake);
    const future = decision.defer.map((d) => d.untilMs - this.options.model.preloadMs).concat(decision.defer.map((d) => d.untilMs)).filter((t) => t > now);
    if (future.length === 0 || this.stopped) return;
    // Timers beyond ~24.8 days overflow; the tick interval covers those anyway.
    this.wake = setTimeout(() => this.poke(), Math.min(Math.min(...future) - now + 50, 2 ** 31 - 1));
  }

  /** A run's energy, from the span begun before it, billed by the jobs running beside it. */
  private async spentEnergy(span: EnergySpanStart | undefined): Promise<RunEnergy | undefined> {
    const o = this.options;
    if (span === undefined || !o.energy) return undefined;
    const e = await o.energy.end(span, 1 / Math.max(1, this.active.size));
    const intensity = o.carbon.current((o.clock ?? Date.now)());
    return { ...e, gCO2e: gramsCo2e(e.kWh, intensity.gPerKWh), intensity };
  }

  private async recordEnergy(job: JobRecord, energy: RunEnergy | undefined, extra: Pick<LedgerEntry, 'audioSeconds' | 'interrupted'>): Promise<void> {
    const o = this.options;
    if (!energy || !o.ledger) return;
    const entry: LedgerEntry = { jobId: job.id, at: new Date((o.clock ?? Date.now)()).toISOString(), joules: energy.joules, kWh: energy.kWh, source: energy.source, method: energy.method, gPerKWh: energy.intensity.gPerKWh, intensitySource: `${energy.intensity.source} (${energy.intensity.status})`, gCO2e: energy.gCO2e, ...extra };
    await o.ledger.record(entry).catch((err: unknown) => o.logger.warn('energy ledger write failed', { err }));
  }

  /** Runs a job with its interrupt registered from the first moment, so no stop misses it. */
  private async runJob(id: string, threads: number): Promise<void> {
    const interrupt = new AbortController();
    this.interrupts.set(id, interrupt);
    try {
      await this.runJobWith(id, threads, interrupt);
    } finally {
      this.interrupts.delete(id);
      this.interruptReasons.delete(id);
    }
  }

  private async runJobWith(id: string, threads: number, interrupt: AbortController): Promise<void> {
    const o = this.options;
    let job: JobRecord;
    try {
      job = await o.queue.markStarted(id);
    } catch (err) {
      // Not even the attempt could be recorded (often a full disk): wait before the next try,
      // or the scheduler would start it again at once, over and over.
      if (isTransient(err)) return this.postpone(id, err, false);
      const waitMs = this.backoff.postpone(id);
      o.logger.warn(`could not start job; trying again in ${Math.round(waitMs / 1000)} s`, { id, err });
      return;
    }
    o.logger.debug('job started', { id, attempt: job.attempts, threads });
    try {
      const span = await o.energy?.begin();
      const progress = { saved: await o.queue.progress(id), replace: (r: unknown[]) => o.queue.saveProgress(id, r, 'replace'), append: (r: unknown[]) => o.queue.saveProgress(id, r, 'append') };
      let result: unknown;
      try {
        result = await o.lifecycle.run(job, { threads, signal: interrupt.signal, progress });
      } catch (err) {
        // The energy an interrupted run spent counts too, though the job is not finished.
        if (isJobInterrupted(err)) await this.recordEnergy(job, await this.spentEnergy(span), { interrupted: true });
        throw err;
      }
      const energy = await this.spentEnergy(span);
      const first = await o.queue.complete(id, energy ? { output: result, energy } : { output: result });
      this.backoff.clear(id);
      this.decoderStops.clear(id);
      this.requiredFailures.clear(id);
      o.logger.debug('job done', { id });
      if (!first) return;
      await this.recordEnergy(job, energy, job.audioSeconds !== undefined ? { audioSeconds: job.audioSeconds } : {});
      o.bus?.emit('jobDone', energy ? { job, result, energy } : { job, result });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (isJobInterrupted(err)) {
        const why: unknown = this.interruptReasons.get(id) ?? interrupt.signal.reason;
        o.logger.info(why instanceof Error ? why.message : err.message, { id, segmentsDone: err.segmentsDone });
        // Not the job's try: put back the attempt markStarted counted.
        await o.queue.postpone(id);
        const reason = why instanceof InterruptRequest && !this.stopped ? why.reason : undefined;
        o.bus?.emit('jobInterrupted', { job, stopping: this.stopped, ...(reason ? { reason } : {}) });
        return;
      }
      if (err instanceof NewerFormatError) {
        // Failed, its segment would be deleted, and the release that wrote it could not run it.
        o.logger.error(`${err.message}: the job is left in the queue as it is, not run; start that release again to run it`, { id });
        await o.queue.leave(id);
        return;
      }
      const stoppedTooMany = this.decoderStops.tooMany(id, err);
      const failedTooMany = this.requiredFailures.tooMany(id, err);
      if (isTransient(err) && !stoppedTooMany && !failedTooMany) return this.postpone(id, err, true);
      this.backoff.clear(id);
      this.decoderStops.clear(id);
      this.requiredFailures.clear(id);
      const error = stoppedTooMany ? stoppedTooOften(err) : failedTooMany ? requiredPluginFailedTooOften(err, id) : message;
      // One job's failure never stops the queue: record it and move on.
      o.logger.warn('job failed', { id, error });
      await o.queue.fail(id, error).catch((e: unknown) => o.logger.error('could not record job failure', { id, err: e }));
      o.bus?.emit('jobFailed', { job, error });
    }
  }
}

