import { join } from 'node:path';
import type { EarshotConfig } from './config/types.js';
import type { LogSink, Logger } from './log/logger.js';
import type { Service, ServiceState } from './service.js';
import type { ComponentStatus, StatusResult } from './control/methods.js';
import { mkdirSync } from 'node:fs';
import { EventBus } from './bus.js';
import { ControlServer } from './control/server.js';
import { DataDirLock } from './data-dir-lock.js';
import { ConfigFileError } from './config/errors.js';
import { isUnusablePath } from './config/unusable-path.js';
import { ControlError } from './control/protocol.js';
import { checkRemotePaths } from './control/remote-paths.js';
import { MqttService } from './mqtt/mqtt-service.js';
import { PluginHost } from './plugins/host.js';
import { registerPluginMethods } from './plugins/control-methods.js';
import type { PluginsConfig } from './plugins/types.js';
import { requiredPluginsRefuseOffers } from './plugins/required-plugins.js';
import { SchedulerStack } from './scheduler/scheduler-stack.js';
import { retentionMs, schedulerSection } from './scheduler/config.js';
import type { SchedulerStatus } from './scheduler/control-handlers.js';
import type { SourceConfig } from './audio/sources/config.js';
import type { VadConfig } from './vad/build-sources.js';
import { resolveSegmenterSettings } from './vad/sensitivity.js';
import { createDetector } from './vad/create-detector.js';
import { AsrRuntime, type ModelConfig } from './pipeline/asr-runtime.js';
import { checkModelDir } from './pipeline/check-model-dir.js';
import { JobProcessor } from './pipeline/job-processor.js';
import { summarizeJobProgress } from './pipeline/job-progress.js';
import { SegmentStore } from './pipeline/segment-store.js';
import { CaptureService } from './pipeline/capture-service.js';
import { PartialPublisher, partialModelOf, type PartialsConfig } from './pipeline/partial-publisher.js';
import { FleetBridge } from './pipeline/fleet-bridge.js';
import type { EnergySpanStart } from './energy/job-energy-tracker.js';
import type { TelemetryInput } from './mqtt/payloads/telemetry.js';
import { SELECTION_PARAMS, type RejectedSelection } from './mqtt/outbox/rejected-shelf.js';
import type { JobOutcome, SpeechRecognizer } from './pipeline/types.js';

export interface ControllerOptions {
  config: EarshotConfig;
  logs: LogSink;
  version: string;
  /**
   * Told before each step of a stop, with the longest it may take: the daemon extends
   * systemd's stop timeout by that much (EXTEND_TIMEOUT_USEC) and shows the step.
   */
  onStopStep?: (step: string, budgetMs: number) => void;
  /** Something the daemon cannot go on with (another earshotd took its data directory): it should exit at once. */
  onFatal?: (reason: string) => void;
}

/** Segments transcribed in one inference call. */
const ASR_BATCH = 4;

/** How long a stop waits for the service being started; see Controller.stop. */
const STOP_WAITS_FOR_START_MS = 8000;

/**
 * The longest one service's stop takes unless it says otherwise (Service.stopBudgetMs):
 * MQTT's is the longest, 3 s per connection plus 2 s for the offline status, and a command
 * source reads for 5 s after its program exits.
 */
const STOP_STEP_BUDGET_MS = 10_000;

/** start() gave up because stop() was called while it ran. */
export class StartInterrupted extends Error {
  constructor(before?: string) {
    super(before ? `stopped while starting, before ${before}` : 'stopped while starting');
    this.name = 'StartInterrupted';
  }
}

/**
 * Builds every service once and injects what each needs; starts them in order and stops
 * them in reverse. No service constructs its peers (zigbee2mqtt's controller pattern).
 *
 *   mqtt → plugins → scheduler stack (probe, queue, carbon, loop) → sources → control
 *
 * Publishing comes up before anything that produces transcripts, and the control socket
 * last, so `earshot status` answering means everything else is ready.
 */
export class Controller {
  readonly bus = new EventBus();
  readonly control: ControlServer;
  private readonly dataLock: DataDirLock;
  readonly mqtt: MqttService;
  readonly plugins: PluginHost;
  readonly stack: SchedulerStack;
  readonly capture: CaptureService;
  readonly partials: PartialPublisher;
  readonly fleet: FleetBridge;
  private readonly asr: AsrRuntime;
  private readonly services: Service[];
  private readonly started: Service[] = [];
  /** The start in progress, which a stop waits out. */
  private starting: Promise<void> | undefined;
  private stopRequested = false;
  /** The stop loop in progress, which every stop joins. */
  private stopLoop: Promise<void> | undefined;
  /** The name of the service whose start() is running, if any. */
  private startingService: string | undefined;
  private readonly log: Logger;
  private schedulerMethods: ReturnType<SchedulerStack['handlers']> = {};
  private startedAt: Date | undefined;

  constructor(private readonly options: ControllerOptions) {
    const { config, logs } = options;
    const logger = (ns: string) => logs.logger(ns);
    this.log = logger('controller');
    this.control = new ControlServer({ config: config.control, logger: logger('control') });
    this.dataLock = new DataDirLock({ dir: config.dataDir, logger: logger('daemon'), onLost: (reason) => options.onFatal?.(reason) });
    const liveSources = (config.sources as SourceConfig[]).filter((s) => s.type !== 'spool').map((s) => s.id);
    this.mqtt = new MqttService({ config: config.mqtt, siteId: config.siteId, version: options.version, logger: logger('mqtt'), dataDir: config.dataDir, liveSources });
    this.plugins = new PluginHost({ logger: logger('plugins'), dataDir: config.dataDir, config: config.plugins as PluginsConfig, bus: this.bus });

    const vad = config.vad as VadConfig;
    const processor: JobProcessor<EnergySpanStart> = new JobProcessor<EnergySpanStart>({
      siteId: config.siteId,
      recognizer: async (): Promise<SpeechRecognizer> => runtime.recognizer(),
      plugins: this.plugins,
      sink: this.mqtt,
      energy: {
        begin: () => this.requireStarted(this.stack.energyTracker, 'energy tracker').begin(),
        end: (start) => this.requireStarted(this.stack.energyTracker, 'energy tracker').end(start),
      },
      carbon: { current: (now) => this.requireStarted(this.stack.carbon, 'carbon source').current(now) },
      detector: () => createDetector(vad.detector, logger('vad')),
      vad: resolveSegmenterSettings(vad),
      batchSize: ASR_BATCH,
      logger: logger('pipeline'),
    });
    const segments = new SegmentStore(join(config.dataDir, 'segments'), logger('pipeline'));
    const runtime: AsrRuntime = (this.asr = new AsrRuntime({
      config: config.model as ModelConfig,
      logger: logger('asr'),
      process: (job, run): Promise<JobOutcome> => processor.process(job, run),
      describe: async (job) => (segments.isSegment(job.input) ? segments.describe(job) : { id: job.id, sourceId: job.sourceId ?? 'cli', path: job.input, kind: 'file', recording: job.recording ?? job.input, ...(job.within ? { within: job.within } : {}), ...(job.idScope ? { idScope: job.idScope } : {}), ...(job.retries ? { retries: job.retries } : {}) }),
    }));
    this.stack = new SchedulerStack({ config, logger, bus: this.bus, runtime, subscribe: (topic, onMessage) => this.subscribe(topic, onMessage), summarizeProgress: summarizeJobProgress, modelThreads: (config.model as ModelConfig).threads, holdWork: () => this.plugins.requiredUnavailable(), recordingsWaiting: () => this.capture.recordingsWaiting(), notToRunAtStart: (job) => this.fleet.notToRunAtStart(job) });
    // A required plugin enabled again (or set aside) changes whether jobs may start: decide now.
    this.bus.on(this, 'pluginState', () => this.stack.scheduler?.poke());
    this.capture = new CaptureService({
      sources: config.sources as SourceConfig[],
      vad,
      queue: this.stack.queue,
      segments,
      bus: this.bus,
      poke: () => this.stack.scheduler?.poke(),
      whyNoJobRuns: () => this.whyNoJobRuns(),
      logger: logger('sources'),
    });

    // Live partials (issue #4): off while the config has no `partials` section.
    this.partials = new PartialPublisher({
      siteId: config.siteId,
      config: config.partials as PartialsConfig | undefined,
      openSpeech: () => this.capture.openSpeech(),
      model: partialModelOf(this.stack.lifecycle, runtime),
      pendingLive: () => this.stack.queue.pending().filter((j) => j.priority === 'live').length,
      paused: () => this.stack.scheduler?.state().state === 'paused',
      plugins: this.plugins,
      sink: this.mqtt,
      logger: logger('partials'),
    });

    // ── Fleet work sharing (issue #6; daemon/pipeline/fleet-bridge.ts) ──
    // The bridge starts after mqtt (it offers again what was offered before a restart) and
    // before the scheduler stack (it clears a crash's fleet leftovers before the queue opens).
    // The worker is registered before mqtt starts; it only runs with mqtt.fleet.enabled.
    this.fleet = new FleetBridge({
      fleet: config.mqtt.fleet,
      siteId: config.siteId,
      dataDir: config.dataDir,
      queue: this.stack.queue,
      scheduler: () => this.stack.scheduler,
      cannotWork: () => this.whyNoJobRuns(),
      offerRefusal: () => requiredPluginsRefuseOffers((config.plugins as PluginsConfig).required),
      offerer: () => this.mqtt.fleet(),
      bus: this.bus,
      logger: logger('fleet'),
      retention: retentionMs(schedulerSection(config).retention),
    });
    this.mqtt.onFleetJob(this.fleet.runJob, this.fleet.hasBudget);
    // ── end fleet ──

    // The data directory first: every other service writes in it.
    this.services = [this.dataLock, serviceOf('mqtt', this.mqtt, () => this.mqttState()), this.fleet, this.plugins, this.stack, this.capture, this.partials, this.control];
    this.registerMethods();
    this.mqtt.onCommand((verb, params) => this.dispatchRemote(verb, params));
    this.mqtt.setTelemetrySource(() => this.telemetry());
  }

  /**
   * Starts the services in order. A stop() called meanwhile (SIGTERM during a slow start)
   * waits a while for the service being started, starts nothing more, and this rejects with
   * StartInterrupted once everything started is stopped again.
   */
  start(): Promise<void> {
    this.starting ??= this.startServices();
    return this.starting;
  }

  /** A start that was under way when stop() gave up waiting for it. */
  get stillStarting(): boolean {
    return this.startingService !== undefined;
  }

  private async startServices(): Promise<void> {
    this.startedAt = new Date();
    try {
      mkdirSync(this.options.config.dataDir, { recursive: true, mode: 0o750 });
    } catch (err) {
      // A path the daemon may not use is not mended by a restart every 5 s: a config problem (exit 78).
      if (!isUnusablePath(err)) throw err;
      throw new ConfigFileError(`dataDir: cannot create ${this.options.config.dataDir}: ${(err as Error).message}`);
    }
    checkModelDir((this.options.config.model as ModelConfig).dir);
    for (const service of this.services) {
      if (this.stopRequested) throw new StartInterrupted(service.name);
      this.log.debug(`starting ${service.name}`);
      this.startingService = service.name;
      try {
        await service.start();
      } catch (err) {
        this.log.error(`${service.name} failed to start`, { err });
        await this.stopStarted();
        throw err;
      } finally {
        this.startingService = undefined;
      }
      this.started.push(service);
      this.bus.emit('componentState', { component: service.name, state: service.state?.().state ?? 'running' });
      if (this.stopRequested) {
        // The stop gave up waiting for this service: its loop (still running, or run again
        // here) stops it next, before what started earlier. Again if the loop was just
        // ending as this was pushed.
        while (this.started.length > 0) await this.stopStarted();
        throw new StartInterrupted();
      }
    }
  }

  /**
   * Stops what was started, in reverse order; one service failing to stop does not keep the
   * others up. A start in progress is waited out first, for STOP_WAITS_FOR_START_MS at most:
   * a service cannot be stopped halfway through its start and must not come up after the
   * stop, but an MQTT connect to a broker that never answers, or a plugin thread slow to
   * load, must not hold the whole stop past systemd's stop timeout (20 s).
   */
  async stop(): Promise<void> {
    this.stopRequested = true;
    if (this.starting) {
      if (this.startingService) this.options.onStopStep?.(`waiting for ${this.startingService} to finish starting`, STOP_WAITS_FOR_START_MS + 1000);
      let timer: NodeJS.Timeout | undefined;
      const waited = await Promise.race([
        this.starting.then(() => true, () => true),
        new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), STOP_WAITS_FOR_START_MS))),
      ]);
      clearTimeout(timer);
      if (!waited) this.log.warn(`${this.startingService ?? 'a service'} is still starting ${STOP_WAITS_FOR_START_MS / 1000} s into the stop; stopping the rest without it`);
    }
    await this.stopStarted();
  }

  /**
   * Runs the stop loop, one at a time: a start that ends late pushes its service while the
   * stop's loop runs, and that loop, popping the newest first, stops it next.
   */
  private stopStarted(): Promise<void> {
    this.stopLoop ??= this.stopEachStarted().finally(() => {
      this.stopLoop = undefined;
    });
    return this.stopLoop;
  }

  private async stopEachStarted(): Promise<void> {
    while (this.started.length > 0) {
      const service = this.started.pop()!;
      this.options.onStopStep?.(`stopping ${service.name}`, service.stopBudgetMs?.() ?? STOP_STEP_BUDGET_MS);
      try {
        await service.stop();
        this.log.debug(`stopped ${service.name}`);
      } catch (err) {
        this.log.warn(`${service.name} did not stop cleanly`, { err });
      }
    }
  }

  status(): StatusResult {
    const startedAt = this.startedAt ?? new Date();
    const components = this.services.map((s): ComponentStatus => {
      const st = s.state?.() ?? { state: this.started.includes(s) ? 'running' : 'stopped' };
      return { name: s.name, state: st.state, ...(st.detail ? { detail: st.detail } : {}), ...(st.problem ? { problem: st.problem } : {}) };
    });
    const problems = components.filter((c) => c.problem !== undefined).map((c) => `${c.name}: ${c.problem}`);
    return {
      site: this.options.config.siteId,
      version: this.options.version,
      pid: process.pid,
      startedAt: startedAt.toISOString(),
      uptimeSec: Math.round((Date.now() - startedAt.getTime()) / 100) / 10,
      components,
      healthy: problems.length === 0,
      problems,
    };
  }

  private registerMethods(): void {
    this.control.register('status', { handler: () => this.status() });
    this.schedulerMethods = this.stack.handlers();
    for (const [name, spec] of Object.entries(this.schedulerMethods)) this.control.registerUntyped(name, spec);
    registerPluginMethods(this.control, this.plugins);
    for (const [name, spec] of Object.entries(this.fleet.handlers())) this.control.registerUntyped(name, spec);
    // The outbox is the daemon's while it runs: `earshot outbox requeue|delete` go through it.
    this.control.registerUntyped('outbox.requeue', { params: SELECTION_PARAMS, handler: (p) => this.mqtt.requeueRejected(p as RejectedSelection) });
    this.control.registerUntyped('outbox.delete', { params: SELECTION_PARAMS, handler: (p) => this.mqtt.deleteRejected(p as RejectedSelection) });
  }

  /** MQTT `cmd/<verb>`: the same methods as the control socket, already authenticated by the MQTT layer. */
  private async dispatchRemote(verb: string, params: Record<string, unknown>): Promise<unknown> {
    const spoolDirs = (this.options.config.sources as SourceConfig[]).flatMap((s) => (s.type === 'spool' ? [s.dir] : []));
    const checked = checkRemotePaths(verb, params, spoolDirs);
    const reply = await this.control.dispatch({ id: 'mqtt', method: verb, params: checked });
    if (reply.status === 'ok') return reply.data;
    throw Object.assign(new ControlError(reply.error.code, reply.error.message, reply.error.hint), { code: reply.error.code });
  }

  private async telemetry(): Promise<TelemetryInput> {
    // The registered method, not a fresh handlers() build on every telemetry tick.
    const status = (await this.schedulerMethods['scheduler.status']?.handler({})) as SchedulerStatus | undefined;
    const carbon = this.stack.carbon?.current(Date.now());
    const model = status?.model;
    return {
      power: status?.power ? { watts: status.power.watts, method: status.power.source } : { watts: null, method: 'unknown' },
      temperature: { celsius: status?.temperatureC ?? null },
      carbon: carbon ? { intensityGPerKwh: carbon.gPerKWh, source: carbon.source } : { intensityGPerKwh: null },
      // The id transcripts carry as modelId, while a model is loaded.
      model: { id: model?.state === 'loaded' ? this.asr.loadedModelId() ?? null : null, state: model?.loadError !== undefined && model.state === 'unloaded' ? 'error' : model?.state ?? 'unloaded' },
      queue: { depth: status ? status.jobs.pending + status.jobs.running : 0 },
    };
  }

  private mqttState(): ServiceState {
    const { connection, embeddedBroker, publishRefused: refused } = this.mqtt.state();
    const where = [connection?.url, embeddedBroker ? 'embedded broker' : undefined].filter(Boolean).join(', ');
    // Connected is not delivering: say so while the broker refuses transcripts.
    const refusal = refused ? `publishing refused: ${refused.reason} on ${refused.topic} (${refused.waiting} transcript(s) waiting since ${refused.since})` : '';
    const state = connection?.state ?? 'stopped';
    const away = connection && state !== 'connected' && state !== 'stopped' ? `not connected to the broker (${state}); transcripts wait in the outbox` : undefined;
    const problem = [away, refusal || undefined].filter(Boolean).join('; ');
    return { state, detail: refusal ? `${where}; ${refusal}` : where, ...(problem ? { problem } : {}) };
  }

  /** Why no job can run now, whatever the scheduler would allow: the model, or a required plugin. */
  private whyNoJobRuns(): string | undefined {
    return this.stack.lifecycle.unavailable ?? this.plugins.requiredUnavailable();
  }

  /** A subscription on the daemon's own MQTT client, for the carbon source's `mqtt` kind. */
  private subscribe(topic: string, onMessage: (payload: Buffer) => void): () => void {
    const connection = this.mqtt.requireConnection();
    const handler = (t: string, payload: Buffer) => {
      if (t === topic) onMessage(payload);
    };
    connection.onMessage(handler);
    connection.subscribe({ [topic]: { qos: 1 } }).catch((err: unknown) => this.log.warn('could not subscribe', { topic, err }));
    return () => {
      connection.offMessage(handler);
      void connection.unsubscribe([topic]).catch(() => undefined);
    };
  }

  private requireStarted<T>(value: T | undefined, what: string): T {
    if (value === undefined) throw new Error(`the ${what} is not ready: the scheduler has not started`);
    return value;
  }
}

/** Adapts a service object whose own `state()` says more than the status line needs. */
function serviceOf(name: string, target: { start(): Promise<void>; stop(): Promise<void> }, state: () => ServiceState): Service {
  return { name, start: () => target.start(), stop: () => target.stop(), state };
}
