import type { IntensityPoint } from '../energy/carbon/types.js';
import { SlotPlan, type Trial } from './slot-plan.js';
import { resumeAtC, type ThermalLimits } from './thermal-rules.js';

/**
 * The scheduler's policy: a pure function from what the box knows now (queue, deadlines,
 * carbon forecast, power budget, temperature, meter reading, model state) to what to do
 * (run now / defer until / threads and concurrency / pause batch / load, preload or unload the
 * model). No clocks, no I/O: the scheduler loop gathers the inputs and applies the decision,
 * and the benchmark replays a week through the same function.
 */
export type Priority = 'live' | 'interactive' | 'batch';
export const PRIORITY_RANK: Record<Priority, number> = { live: 0, interactive: 1, batch: 2 };

export type ThermalState = 'normal' | 'soft' | 'hard';

/** Why the policy interrupts a running job. */
export type InterruptReason = 'thermal hard limit' | 'power budget' | 'fewer threads';

/** What holds batch work back (PolicyDecision.pausedBy). */
export type PauseReason = 'thermal hard limit' | 'power budget';

export interface PolicyJob {
  id: string;
  priority: Priority;
  submittedAtMs: number;
  /** Must be finished by then (batch: default submit + 24 h). */
  deadlineMs: number;
  /** Expected run time at full threads, from the audio length and the measured real-time factor. */
  expectedMs: number;
}

export interface PolicyLimits {
  maxThreads: number;
  maxConcurrency: number;
  /** Cap on the box's draw in watts; null = none. */
  powerBudgetWatts: number | null;
  thermal: ThermalLimits;
  /** Defer batch only when the best window is at least this much cleaner (fraction, e.g. 0.05). */
  minCarbonSaving: number;
  /** Safety factor on expected run times when checking deadlines. */
  deadlineSafety: number;
}

export interface PolicyInput {
  nowMs: number;
  /** Pending jobs (not running). */
  queue: PolicyJob[];
  /** Jobs running now. */
  running: PolicyJob[];
  forecast: IntensityPoint[];
  limits: PolicyLimits;
  temperatureC: number | undefined;
  /** The thermal sensor read before and has failed several reads in a row since. */
  sensorLost?: boolean;
  /** The state the previous decision left (for hysteresis). */
  thermalState: ThermalState;
  power: {
    /** A meter's current whole-box reading, when there is one. */
    measuredWatts?: number;
    /** Inference threads busy when the meter was read (running jobs × their threads). */
    busyThreads?: number;
    /** Modelled idle draw and extra watts per busy inference thread. */
    idleWatts: number;
    wattsPerThread: number;
  };
  model: {
    loaded: boolean;
    /** When the model last finished a job (or loaded); undefined = never used. */
    lastUsedMs?: number;
    idleUnloadMs: number;
    /** Load this long before a deferred batch window opens. */
    preloadMs: number;
    memoryPressure: boolean;
    /**
     * Whether a second session fits beside the loaded one without bringing the box under
     * memory pressure (see SECOND_SESSION_FACTOR); undefined when the box does not say.
     */
    secondSessionFits?: boolean;
    /** Intra-op threads the loaded model's session has (onnxruntime fixes them at load). */
    threads?: number;
    /**
     * How long a reload with fewer threads has been waiting for the session to be idle
     * (the scheduler counts from the first pass that wanted it; see PolicyDecision.reloadWanted).
     */
    reloadWaitingMs?: number;
    /**
     * The session can be loaded again under running work (ModelLifecycle.reloadsInPlace):
     * jobs move to the new session at their next batch, so nothing waits or stops for it.
     */
    reloadsInPlace?: boolean;
  };
}

/**
 * After a reload with fewer threads has waited this long for an idle session, new live work
 * waits for it too (see `draining` in decide): overlapping live streams may never leave the
 * session idle, and the box would stay as hot, or as far over its budget, for good.
 */
export const RELOAD_DRAIN_AFTER_MS = 10_000;
/**
 * Live work running longer than this (a long recording submitted as live) is not waited
 * for: new live speech would wait with it.
 */
export const RELOAD_DRAIN_MAX_LIVE_MS = 5_000;

/** `retune`: load the model again with `sessionThreads` (nothing runs on it now). */
export type ModelAction = 'keep' | 'load' | 'preload' | 'unload' | 'retune';

export interface PolicyDecision {
  thermalState: ThermalState;
  /** Inference threads per job, the meter's correction included (for the power plan). */
  threads: number;
  /**
   * Intra-op threads to load the model with: the thermal state and the configured budget,
   * not the meter, whose reading moves with the jobs themselves (a session follows only
   * what holds, since changing it means loading the model again).
   */
  sessionThreads: number;
  concurrency: number;
  /** Job ids to start now, in order. */
  run: string[];
  defer: Array<{ id: string; untilMs: number; reason: string }>;
  /** Batch (and interactive, at the hard limit) work held back. */
  pauseBatch: boolean;
  /** Why, when it is: the hard limit, a budget below idle + one thread, or both. */
  pausedBy: PauseReason[];
  /**
   * Running jobs of the work held back, to interrupt at their next safe point: they go back
   * to the queue and resume from their saved progress when the policy runs them again.
   */
  interrupt: Array<{ id: string; reason: InterruptReason }>;
  model: ModelAction;
  /**
   * A 'retune' loads the new session beside the serving one (ModelLifecycle.reloadsInPlace,
   * with room in memory for both); otherwise the old one goes first, once idle.
   */
  retuneInPlace: boolean;
  /** The loaded session has more threads than allowed and is to be loaded again with fewer. */
  reloadWanted: boolean;
  /** That reload has waited RELOAD_DRAIN_AFTER_MS: new live work waits for it too. */
  draining: boolean;
  /** The modelled draw at the chosen threads × concurrency, watts. */
  plannedWatts: number;
  reasons: string[];
}

export function nextThermalState(prev: ThermalState, tempC: number | undefined, t: PolicyLimits['thermal'], sensorLost = false): ThermalState {
  // A sensor that read before and now fails (unplugged, a driver gone, nonsense values) says
  // nothing: a box last seen cool does not run unthrottled, and one last seen past the hard
  // limit (or so hot that its reading is no longer plausible) stays paused. The scheduler
  // says so in the log; the operator fixes the sensor.
  if (sensorLost) return prev === 'hard' ? 'hard' : 'soft';
  if (tempC === undefined) return prev;
  if (tempC >= t.hardC) return 'hard';
  const resume = resumeAtC(t);
  // Once throttled or paused, stay there until the box is clearly below the soft limit.
  if (prev !== 'normal' && tempC > resume) return prev === 'hard' ? 'hard' : 'soft';
  if (tempC >= t.softC) return 'soft';
  return 'normal';
}

export function decide(input: PolicyInput): PolicyDecision {
  const { limits, nowMs } = input;
  const reasons: string[] = [];
  const thermalState = nextThermalState(input.thermalState, input.temperatureC, limits.thermal, input.sensorLost);

  // 1. Threads and concurrency from the thermal state.
  let threads = Math.max(1, limits.maxThreads);
  let concurrency = Math.max(1, limits.maxConcurrency);
  if (thermalState === 'soft' && input.temperatureC !== undefined) {
    const span = Math.max(1e-6, limits.thermal.hardC - limits.thermal.softC);
    const f = Math.min(1, Math.max(0, (input.temperatureC - limits.thermal.softC) / span));
    // Throttle in proportion to how far into the soft band we are, at least by half.
    const keep = Math.min(0.5, 1 - f);
    threads = Math.max(1, Math.floor(limits.maxThreads * keep));
    concurrency = Math.max(1, Math.floor(limits.maxConcurrency * keep));
    // Past the limit, or cooling from it inside the hysteresis band: say which, as for the hard limit.
    const t = input.temperatureC;
    const where = t >= limits.thermal.softC ? `${t.toFixed(1)} °C ≥ ${limits.thermal.softC} °C` : `reached, cooling: ${t.toFixed(1)} °C, throttled until ≤ ${resumeAtC(limits.thermal)} °C`;
    reasons.push(`thermal soft limit: ${where}, ${threads} threads × ${concurrency}`);
  } else if (thermalState === 'soft') {
    threads = Math.max(1, Math.floor(limits.maxThreads / 2));
    concurrency = Math.max(1, Math.floor(limits.maxConcurrency / 2));
    if (input.sensorLost) reasons.push(`thermal sensor unreadable: throttled as at the soft limit, ${threads} threads × ${concurrency}`);
  }
  const hot = thermalState === 'hard';
  if (hot) {
    threads = 1;
    concurrency = 1;
    const resumeC = resumeAtC(limits.thermal);
    const t = input.temperatureC;
    // Past the limit, or cooling from it inside the hysteresis band: say which.
    const where = t === undefined ? '? °C' : t >= limits.thermal.hardC ? `${t.toFixed(1)} °C ≥ ${limits.thermal.hardC} °C` : `reached, cooling: ${t.toFixed(1)} °C`;
    reasons.push(`thermal hard limit: ${where}, batch paused until ≤ ${resumeC} °C`);
  }

  // 2. Power budget: the modelled draw, corrected by the meter when it reads higher.
  const { idleWatts, wattsPerThread } = input.power;
  let budgetTooLow = false;
  /** The budget itself leaves no thread for batch work, whatever the meter reads. */
  let budgetBelowOneThread = false;
  let sessionThreads = threads;
  if (limits.powerBudgetWatts !== null) {
    const budget = limits.powerBudgetWatts;
    let capacity = Math.floor((budget - idleWatts) / Math.max(wattsPerThread, 1e-6));
    budgetBelowOneThread = capacity < 1;
    sessionThreads = Math.max(1, Math.min(threads, capacity));
    const busyThreads = input.power.busyThreads ?? input.running.length * threads;
    const measured = input.power.measuredWatts;
    const modelled = idleWatts + busyThreads * wattsPerThread;
    if (measured !== undefined && measured > modelled && busyThreads > 0) {
      // The box draws more per thread than modelled (turbo, GPU, other load): scale down to match.
      const perThread = (measured - idleWatts) / busyThreads;
      capacity = Math.floor((budget - idleWatts) / Math.max(perThread, 1e-6));
    }
    if (capacity < threads * concurrency) {
      if (capacity < 1) {
        budgetTooLow = true;
        threads = 1;
        concurrency = 1;
        reasons.push(`power budget ${budget} W is below idle + one thread (${(idleWatts + wattsPerThread).toFixed(1)} W): batch work paused; live and interactive work run on one thread`);
      } else {
        threads = Math.max(1, Math.min(threads, capacity));
        concurrency = Math.max(1, Math.min(concurrency, Math.floor(capacity / threads)));
        reasons.push(`power budget ${budget} W: ${threads} threads × ${concurrency}`);
      }
    }
  }
  const plannedWatts = idleWatts + threads * concurrency * wattsPerThread;

  // 3. Which jobs start now. Batch jobs are placed on a capacity plan of the forecast, most
  // urgent first, so jobs sharing a clean window also share its capacity.
  const pausedBy: PauseReason[] = [...(hot ? (['thermal hard limit'] as const) : []), ...(budgetTooLow ? (['power budget'] as const) : [])];
  const pauseBatch = pausedBy.length > 0;
  // Running work is interrupted for the hard limit, or a budget that by itself leaves no
  // thread (an operator's `budget set`). Not when only the meter's reading says so: it reads
  // high only while the job runs, so the job would be stopped and started again every pass.
  const stopBatch = hot || budgetBelowOneThread;
  const interrupt: PolicyDecision['interrupt'] = input.running.filter((j) => (j.priority === 'batch' && stopBatch) || (j.priority === 'interactive' && hot)).map((j) => ({ id: j.id, reason: hot ? ('thermal hard limit' as const) : ('power budget' as const) }));
  // A session with more threads than now allowed is loaded again with fewer, which needs it
  // idle: running batch work is interrupted (it resumes where it stopped, on the new
  // session) and none starts on the old one. So is interactive work (a long recording taken
  // from the fleet would otherwise keep the box hot for its whole length), but only while
  // no live work runs or starts: live speech is never held back, so while it overlaps the
  // session never idles, and an interactive job kept waiting for it could wait for good.
  // Live work goes on: its jobs are a few seconds of speech each.
  // In place, with memory for a second session for a moment: at once, under running work.
  const roomForSecond = !input.model.memoryPressure && input.model.secondSessionFits !== false;
  const inPlace = input.model.reloadsInPlace === true && roomForSecond;
  const tooManyThreads = input.model.loaded && input.model.threads !== undefined && input.model.threads > sessionThreads && !inPlace;
  const liveBusy = input.running.some((j) => j.priority === 'live') || input.queue.some((j) => j.priority === 'live');
  // Waited long enough: the session is drained for the reload. New live work waits for the
  // live work running now (a few seconds of speech each) and the reload, once per step
  // down, then runs on the new session; everything else waits or stops as when idle.
  const draining =
    tooManyThreads && !hot && (input.model.reloadWaitingMs ?? 0) >= RELOAD_DRAIN_AFTER_MS && input.running.every((j) => j.priority !== 'live' || j.expectedMs <= RELOAD_DRAIN_MAX_LIVE_MS);
  const interactiveWaitsForFewer = tooManyThreads && !hot && (!liveBusy || draining);
  if (tooManyThreads) {
    for (const j of input.running) {
      if ((j.priority === 'batch' && !stopBatch) || (j.priority === 'interactive' && interactiveWaitsForFewer)) interrupt.push({ id: j.id, reason: 'fewer threads' });
    }
    const notInPlace = input.model.reloadsInPlace === true ? ' (no room in memory for a second session beside it)' : '';
    if (!hot) reasons.push(`model loaded with ${input.model.threads} threads, ${sessionThreads} allowed: loaded again once idle${notInPlace}`);
  }
  // The model is loaded again only when nothing runs on it and, for fewer threads, no live
  // job starts in this pass: the scheduler loads before it starts the pass's jobs, and live
  // speech must not wait seconds for it (it runs on the session as it is). An interactive
  // job waits those seconds for fewer threads, not for more: more can come after it.
  let liveStarts = false;
  let interactiveStarts = false;
  const fewerWaits = (): boolean => input.running.length > 0 || (liveStarts && !draining);
  const moreWaits = (): boolean => fewerWaits() || interactiveStarts;
  const ordered = [...input.queue].sort((a, b) => PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority] || a.deadlineMs - b.deadlineMs || a.submittedAtMs - b.submittedAtMs);
  const slowdown = limits.maxThreads / threads;
  const horizonEnd = Math.max(nowMs, ...input.queue.map((j) => j.deadlineMs));
  const plan = new SlotPlan(input.forecast, nowMs, concurrency, horizonEnd);
  for (const j of input.running) plan.reserve(nowMs, j.expectedMs * slowdown);
  let free = Math.max(0, concurrency - input.running.length);
  const run: string[] = [];
  const defer: PolicyDecision['defer'] = [];
  const startNow = (job: PolicyJob): void => {
    run.push(job.id);
    if (job.priority === 'live') liveStarts = true;
    if (job.priority === 'interactive') interactiveStarts = true;
    free = Math.max(0, free - 1);
    plan.reserve(nowMs, job.expectedMs * slowdown);
  };
  for (const job of ordered) {
    if (job.priority === 'live') {
      // Latency SLO: live audio is never deferred, throttled to a slot or not, except for the
      // moment a drained session takes to load again (it then starts on the new one).
      if (draining && input.running.length > 0) defer.push({ id: job.id, untilMs: nowMs, reason: 'model being loaded with fewer threads' });
      else startNow(job);
      continue;
    }
    if (job.priority === 'interactive') {
      if (hot) defer.push({ id: job.id, untilMs: nowMs, reason: 'thermal hard limit' });
      else if (interactiveWaitsForFewer && fewerWaits()) defer.push({ id: job.id, untilMs: nowMs, reason: 'model to be loaded with fewer threads' });
      else if (free > 0) startNow(job);
      else defer.push({ id: job.id, untilMs: nowMs, reason: 'no free slot' });
      continue;
    }
    if (pauseBatch) {
      defer.push({ id: job.id, untilMs: nowMs, reason: hot ? 'thermal hard limit' : 'power budget' });
      continue;
    }
    if (tooManyThreads && fewerWaits()) {
      defer.push({ id: job.id, untilMs: nowMs, reason: 'model to be loaded with fewer threads' });
      continue;
    }
    const when = placeBatch(plan, job, nowMs, job.expectedMs * slowdown, limits);
    plan.reserve(when.startMs, job.expectedMs * slowdown);
    if (when.startMs > nowMs) defer.push({ id: job.id, untilMs: when.startMs, reason: when.reason });
    else if (free > 0) {
      run.push(job.id);
      free--;
    } else defer.push({ id: job.id, untilMs: nowMs, reason: 'no free slot' });
  }

  // 4. The model.
  const model = modelAction(input, run, defer, hot, sessionThreads, thermalState, inPlace ? { fewer: false, more: false } : { fewer: fewerWaits(), more: moreWaits() });
  if (model !== 'keep') reasons.push(`model: ${model}`);
  if (draining) reasons.push(`waited ${Math.round((input.model.reloadWaitingMs ?? 0) / 1000)} s for an idle session: new live work waits for the reload`);
  return { thermalState, threads, sessionThreads, concurrency, run, defer, pauseBatch, pausedBy, interrupt, model, retuneInPlace: inPlace, reloadWanted: tooManyThreads && !hot, draining, plannedWatts, reasons };
}

/**
 * The start for one batch job on the plan: the lowest mean intensity among starts that still
 * finish `deadlineSafety` early enough; now when the saving is below `minCarbonSaving`, when
 * there is no forecast, or when no start meets the deadline (then it is urgent).
 */
function placeBatch(plan: SlotPlan, job: PolicyJob, nowMs: number, runMs: number, limits: PolicyLimits): { startMs: number; reason: string } {
  if (plan.empty) return { startMs: nowMs, reason: 'no forecast' };
  const margin = runMs * (limits.deadlineSafety - 1);
  const mustFinish = job.deadlineMs - margin;
  let best: Trial | undefined;
  for (const start of plan.starts(nowMs, mustFinish - runMs)) {
    const trial = plan.trial(start, runMs);
    if (!trial || trial.finishMs > mustFinish) continue;
    // Ties go to the earlier start: finishing sooner is worth something too.
    if (!best || trial.meanGPerKWh < best.meanGPerKWh - 1e-9) best = trial;
  }
  if (!best) return { startMs: nowMs, reason: 'deadline' };
  if (best.startMs <= nowMs) return { startMs: nowMs, reason: 'cleanest now' };
  const now = plan.trial(nowMs, runMs);
  if (now && now.finishMs <= mustFinish && best.meanGPerKWh > now.meanGPerKWh * (1 - limits.minCarbonSaving)) return { startMs: nowMs, reason: 'saving too small' };
  // When it starts, too: `earshot jobs get` shows this as what the job waits for.
  return { startMs: best.startMs, reason: `cleaner window: ${Math.round(best.meanGPerKWh)} vs ${Math.round(now?.meanGPerKWh ?? best.meanGPerKWh)} gCO2e/kWh, starting ${new Date(best.startMs).toISOString()}` };
}

function modelAction(input: PolicyInput, run: string[], defer: PolicyDecision['defer'], hot: boolean, sessionThreads: number, thermalState: ThermalState, retuneWaits: { fewer: boolean; more: boolean }): ModelAction {
  const m = input.model;
  const urgent = input.running.some((j) => j.priority !== 'batch') || run.length > 0;
  if (m.loaded && hot && !urgent && input.running.length === 0) return 'unload';
  if (m.loaded && m.memoryPressure && input.running.length === 0 && run.length === 0) return 'unload';
  if (!m.loaded && run.length > 0) return 'load';
  const nextWindow = Math.min(...defer.filter((d) => d.untilMs > input.nowMs).map((d) => d.untilMs));
  const windowSoon = Number.isFinite(nextWindow) && nextWindow - input.nowMs <= m.preloadMs;
  if (!m.loaded && windowSoon && !hot && !m.memoryPressure) return 'preload';
  const idleFor = m.lastUsedMs === undefined ? Infinity : input.nowMs - m.lastUsedMs;
  const busy = input.running.length > 0 || run.length > 0 || defer.some((d) => d.untilMs <= input.nowMs);
  if (m.loaded && !busy && !windowSoon && idleFor >= m.idleUnloadMs) return 'unload';
  // Fewer threads at once; more only out of the soft band, where the proportional throttle
  // would otherwise load the model again at every small swing of the temperature.
  if (m.loaded && m.threads !== undefined && m.threads > sessionThreads && !retuneWaits.fewer) return 'retune';
  if (m.loaded && m.threads !== undefined && m.threads < sessionThreads && thermalState === 'normal' && !retuneWaits.more) return 'retune';
  return 'keep';
}
