import { join } from 'node:path';
import type { EarshotConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { Service, ServiceState } from '../service.js';
import type { EventBus } from '../bus.js';
import { probeHardware, type HardwareProfile } from '../hardware/probe.js';
import { readCelsius, pickSchedulerSensor } from '../hardware/thermal.js';
import { readMeminfo } from '../hardware/cpu-info.js';
import { joulesBetween, type PowerMeter } from '../hardware/meter-types.js';
import { profileFor } from '../energy/cpu-power-profile.js';
import { JobEnergyTracker } from '../energy/job-energy-tracker.js';
import { EnergyLedger } from '../energy/ledger.js';
import { createCarbonSource } from '../energy/carbon/create-source.js';
import type { Subscribe } from '../energy/carbon/mqtt-source.js';
import type { CarbonSource } from '../energy/carbon/types.js';
import { schedulerSection, energySection, retentionMs, type SchedulerConfig } from './config.js';
import { JobQueue, type JobQueueOptions } from './job-queue.js';
import { ModelLifecycle, type ModelRuntime } from './model-lifecycle.js';
import { Scheduler } from './scheduler.js';
import { BudgetStore, type BudgetChange } from './budget-store.js';
import { ThermalStateFile } from './thermal-state-file.js';
import { resumeAtC } from './thermal-rules.js';
import { refuseNewerState } from '../state-format.js';
import { createSchedulerHandlers, SCHEDULER_METHOD_PARAMS } from './control-handlers.js';

export interface SchedulerStackOptions {
  config: EarshotConfig;
  /** Namespaced loggers: `logger('scheduler')`, `logger('energy')`, ... */
  logger: (namespace: string) => Logger;
  bus: EventBus;
  /** The ASR engine's model, behind the scheduler's small interface. */
  runtime: ModelRuntime;
  /** The daemon MQTT client's subscribe, for `scheduler.carbon.source: "mqtt"`. */
  subscribe?: Subscribe;
  /** What a job's saved progress amounts to, for `jobs list` (the pipeline writes it). */
  summarizeProgress?: JobQueueOptions['summarizeProgress'];
  /** `model.threads`: the most intra-op threads the model's session gets (0: one per core). */
  modelThreads?: number;
  /** Why no job may start now (a required plugin not running); see SchedulerOptions.holdWork. */
  holdWork?: () => string | undefined;
  /** Recordings waiting in spool folders, not read yet (for jobs.list). */
  recordingsWaiting?: () => Promise<number>;
  /** Why a job found pending when the queue opens must not run; see JobQueueOptions.notToRunAtStart. */
  notToRunAtStart?: JobQueueOptions['notToRunAtStart'];
}

type Spec = { params?: Record<string, unknown>; handler(params: unknown): Promise<unknown> | unknown };

/** `powerBudgetWatts 15, softC 60` for a log line. */
function describeChange(change: BudgetChange): string {
  return Object.entries(change)
    .map(([k, v]) => `${k} ${v === null ? 'none' : String(v)}`)
    .join(', ');
}

/**
 * Everything of issue #7 as one service for the controller: on start it probes the hardware,
 * picks the thermal sensor and power meter, opens the job queue, starts the carbon source and
 * the scheduler loop; on stop it reverses that. `handlers()` are the control-API methods to
 * register (they answer "not started" until start() has run).
 */
export class SchedulerStack implements Service {
  readonly name = 'scheduler';
  readonly queue: JobQueue;
  readonly lifecycle: ModelLifecycle;
  readonly ledger: EnergyLedger;
  readonly budget: BudgetStore;
  private readonly settings: SchedulerConfig;
  private carbonSource: CarbonSource | undefined;
  private loop: Scheduler | undefined;
  private profile: HardwareProfile | undefined;
  private tracker: JobEnergyTracker | undefined;
  private readonly started: Service[] = [];
  private thermalFile: ThermalStateFile | undefined;

  constructor(private readonly options: SchedulerStackOptions) {
    const { config, logger } = options;
    this.settings = schedulerSection(config);
    const s = this.settings;
    const keep = retentionMs(s.retention);
    this.queue = new JobQueue({ dir: join(config.dataDir, 'queue'), logger: logger('jobs'), defaultDeadlineHours: s.batch.defaultDeadlineHours, maxAttempts: s.batch.maxAttempts, keepDoneMs: keep.doneMs, keepFailedMs: keep.failedMs, ...(options.summarizeProgress ? { summarizeProgress: options.summarizeProgress } : {}), ...(options.notToRunAtStart ? { notToRunAtStart: options.notToRunAtStart } : {}) });
    this.lifecycle = new ModelLifecycle(options.runtime, logger('model'));
    this.ledger = new EnergyLedger(config.dataDir, logger('energy'));
    this.budget = new BudgetStore(config.dataDir, { powerBudgetWatts: s.powerBudgetWatts, softC: s.thermal.softC, hardC: s.thermal.hardC, hysteresisC: s.thermal.hysteresisC });
  }

  get hardware(): HardwareProfile | undefined {
    return this.profile;
  }

  get scheduler(): Scheduler | undefined {
    return this.loop;
  }

  /** The tracker jobs are billed with (the probed meters, else the CPU model); set by start(). */
  get energyTracker(): JobEnergyTracker | undefined {
    return this.tracker;
  }

  /** The grid-intensity source; set by start(). */
  get carbon(): CarbonSource | undefined {
    return this.carbonSource;
  }

  async start(): Promise<void> {
    const { config, logger, bus } = this.options;
    const s = this.settings;
    const energy = energySection(config);
    const root = s.thermal.sysfsRoot;
    const log = logger('scheduler');
    const loaded = await this.budget.load();
    await this.ledger.checkFormats().catch((err: unknown) => {
      throw refuseNewerState(err, 'the energy and carbon of past jobs, for `earshot energy`');
    });
    // `budget set` overrides the config until changed: say so at each start, and which ones
    // no longer fit the config's limits and are set aside.
    if (Object.keys(loaded.overriding).length > 0) log.info(`earshot budget set overrides the config: ${describeChange(loaded.overriding)}`);
    if (this.budget.unreadable) log.error(this.budget.unreadable);
    if (loaded.setAside) log.warn(`saved budget overrides set aside, as with the config they break the budget (${loaded.setAside.why}): ${describeChange(loaded.setAside.overrides)}; the config's values are used; set them again with earshot budget set`);
    const probe = await probeHardware({ root, logger: logger('hardware') });
    this.profile = probe.profile;
    const sensor = pickSchedulerSensor(probe.profile.thermal, s.thermal.sensor ?? undefined);
    if (s.thermal.sensor && !sensor) throw new Error(`scheduler.thermal.sensor: no sensor "${s.thermal.sensor}" on this box; \`earshot hardware\` lists them`);
    if (!sensor) log.warn('no temperature sensor found: thermal limits cannot be enforced');
    const meters: PowerMeter[] = energy.meter === 'none' ? [] : energy.meter === 'auto' ? probe.meters : probe.meters.filter((m) => m.kind === energy.meter);
    if (energy.meter !== 'auto' && energy.meter !== 'none' && meters.length === 0) log.warn(`energy.meter "${energy.meter}" is not readable on this box; energy will be estimated`);
    const family = energy.cpuFamily ?? probe.profile.cpu.family;
    // The model's session never gets more threads than model.threads (0: one per core).
    const modelThreads = this.options.modelThreads ?? 0;
    const maxThreads = Math.max(1, Math.min(s.maxThreads, modelThreads > 0 ? modelThreads : probe.profile.cpu.logicalCores));
    // Without a sensor the state is always normal: nothing to keep, and a file left by a release
    // that had one (or a newer release's) is not written over at each stop.
    const thermalFile = sensor ? new ThermalStateFile(config.dataDir, root, log) : undefined;
    const restored = await thermalFile?.restore();
    if (restored) log.info(`thermal state ${restored.state} taken up from before the start (saved ${Math.round(restored.ageSec)} s ago${restored.temperatureC !== undefined ? ` at ${restored.temperatureC.toFixed(1)} °C` : ''}, ${restored.state} since ${restored.since}): it holds until the box is at ${resumeAtC(this.budget.current())} °C or below`);
    if (thermalFile) {
      // Saved when it changes, and at stop (stop()), so a restart soon after goes on from it.
      bus.on(this, 'thermalState', ({ state, temperatureC }) => void thermalFile.save(state, temperatureC));
      // And again while it holds, a minute apart by the boot clock: a crash saves nothing at stop.
      bus.on(this, 'schedulerDecision', ({ decision }) => void thermalFile.refresh(decision.thermalState, this.loop?.temperatureC));
    }
    this.thermalFile = thermalFile;
    const model = profileFor(family);
    const power = { idleWatts: energy.idleWatts ?? model.idleWatts, wattsPerThread: energy.wattsPerThread ?? model.activeWattsPerCore };
    log.info('hardware', { device: probe.profile.device.model, sensor: sensor?.id, meters: meters.map((m) => m.kind).join(',') || 'none (estimated)', family });

    this.carbonSource = createCarbonSource(s.carbon, { logger: logger('carbon'), ...(this.options.subscribe ? { subscribe: this.options.subscribe } : {}) });
    const wholeBox = meters.find((m) => m.kind === 'ina3221' || m.kind === 'battery' || m.kind === 'powermetrics') ?? meters.find((m) => m.kind === 'rapl');
    let lastWatts: { reading: Awaited<ReturnType<PowerMeter['read']>> } | undefined;
    this.loop = new Scheduler({
      queue: this.queue,
      lifecycle: this.lifecycle,
      carbon: this.carbonSource,
      limits: () => {
        const b = this.budget.current();
        return { maxThreads, maxConcurrency: s.maxConcurrency, powerBudgetWatts: b.powerBudgetWatts, thermal: { softC: b.softC, hardC: b.hardC, hysteresisC: b.hysteresisC }, minCarbonSaving: s.minCarbonSaving, deadlineSafety: s.deadlineSafety };
      },
      readTemperature: async () => (sensor?.path ? readCelsius(root, sensor.path) : sensor?.celsius),
      ...(sensor ? { thermalSensor: sensor.id } : {}),
      readWatts: async () => {
        if (!wholeBox) return undefined;
        const reading = await wholeBox.read();
        if (!reading.ok) return undefined;
        if ('watts' in reading) return reading.watts;
        // RAPL is a counter: watts are the energy since the previous tick over its span,
        // with the same wrap and sanity rules as a job's energy (joulesBetween).
        const prev = lastWatts?.reading;
        lastWatts = { reading };
        if (!prev) return undefined;
        const span = joulesBetween(prev, reading);
        const seconds = (reading.atMs - prev.atMs) / 1000;
        return span.ok && seconds > 0 ? span.joules / seconds : undefined;
      },
      memory: async () => {
        const m = await readMeminfo(root);
        if (m?.availableBytes === undefined) return undefined;
        const floorBytes = (m.totalBytes * s.model.memoryPressurePercent) / 100;
        return { pressure: m.availableBytes < floorBytes, headroomBytes: m.availableBytes - floorBytes };
      },
      power,
      model: { idleUnloadMs: s.model.idleUnloadSec === 0 ? Infinity : s.model.idleUnloadSec * 1000, preloadMs: s.model.preloadMinutes * 60e3 },
      expectedMs: (job) => (job.audioSeconds ?? 60) * s.realTimeFactor * 1000,
      energy: (this.tracker = new JobEnergyTracker({
        meters,
        cpuFamily: family,
        root,
        configured: { ...(energy.idleWatts != null ? { idleWatts: energy.idleWatts } : {}), ...(energy.wattsPerThread != null ? { wattsPerThread: energy.wattsPerThread } : {}) },
      })),
      ledger: this.ledger,
      bus,
      logger: log,
      tickMs: s.tickMs,
      ...(restored ? { thermalStateAtStart: restored.state, ...(restored.temperatureC !== undefined ? { temperatureAtStartC: restored.temperatureC } : {}) } : {}),
      stopGraceMs: s.stopGraceSec * 1000,
      ...(this.options.holdWork ? { holdWork: this.options.holdWork } : {}),
    });
    for (const service of [this.queue, this.carbonSource, this.loop] as Service[]) {
      await service.start();
      this.started.push(service);
    }
  }

  /** Running jobs' grace, then the batch each may still finish and the model's unload. */
  stopBudgetMs(): number {
    return this.settings.stopGraceSec * 1000 + 10_000;
  }

  async stop(): Promise<void> {
    // Only a loop that started has a state of its own; one that did not must not write over the saved one.
    const loopRan = this.loop !== undefined && this.started.includes(this.loop);
    while (this.started.length > 0) await this.started.pop()?.stop();
    this.options.bus.removeOwner(this);
    // The state as the daemon leaves it, timed now: a restart within THERMAL_STATE_MAX_AGE_SEC takes it up.
    if (loopRan && this.loop && this.thermalFile) await this.thermalFile.save(this.loop.thermalState, this.loop.temperatureC);
    if (this.lifecycle.state === 'loaded') await this.lifecycle.unload('daemon stopping');
  }

  state(): ServiceState {
    const state: ServiceState = this.loop?.state() ?? { state: 'stopped' };
    const problem = [state.problem, this.budget.unreadable].filter(Boolean).join('; ');
    return { ...state, ...(problem ? { problem } : {}) };
  }

  /** Control-API methods: jobs.submit/list/get, budget.show/set, carbon.status, scheduler.status, model.load/unload. */
  handlers(): Record<string, Spec> {
    const out: Record<string, Spec> = {};
    for (const [name, params] of Object.entries(SCHEDULER_METHOD_PARAMS)) {
      const handler = (p: unknown): Promise<unknown> | unknown => {
        if (!this.loop || !this.carbonSource) throw new Error('the scheduler has not started yet; try again in a moment');
        const spec = createSchedulerHandlers({ queue: this.queue, scheduler: this.loop, lifecycle: this.lifecycle, budget: this.budget, carbon: this.carbonSource, ...(this.options.recordingsWaiting ? { recordingsWaiting: this.options.recordingsWaiting } : {}) })[name];
        if (!spec) throw new Error(`unknown scheduler method ${name}`);
        return spec.handler(p);
      };
      out[name] = params ? { params, handler } : { handler };
    }
    return out;
  }
}
