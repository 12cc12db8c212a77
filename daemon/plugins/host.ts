import { join } from 'node:path';
import type { Hotword, PluginInstance } from '@earshot/sdk';
import type { EventBus } from '../bus.js';
import type { Logger } from '../log/logger.js';
import { packageRoot } from '../paths.js';
import type { Service, ServiceState } from '../service.js';
import { validatePluginConfig } from './config-validation.js';
import { candidateNames, discoverPlugins, pluginRoots, type Candidate } from './discovery.js';
import { describeError, guardedCall, type CallOutcome } from './guarded-call.js';
import { HotwordCollector } from './hotword-collector.js';
import { IsolatedPlugin } from './isolated-plugin.js';
import { operatorChoiceFile, startsDisabled, type OperatorChoiceFile, type OperatorChoices } from './operator-choices.js';
import { openPluginContext, type OpenContext } from './plugin-context.js';
import { importDefinition, instanceKinds } from './plugin-loader.js';
import { runPipeline } from './pipeline.js';
import { atSuffix } from './error-location.js';
import { lookup, slotsNamed, slotStatus, type FailureDetail, type OutcomeSink, type Slot } from './slot.js';
import type { PluginKind, PluginState, PluginStatus, PluginsConfig, ProcessedTranscript, TranscriptForPlugins } from './types.js';
import { ambiguousNameWarning, ambiguousPluginNames, unknownNameWarning, unknownPluginNames } from './unknown-names.js';
import { describeMissing, requiredMissing, requiredNotRunning } from './required-plugins.js';

/** A thread loads the host's modules before the plugin's; slow boxes need seconds. */
const THREAD_START_TIMEOUT_MS = 30_000;
/** How long a plugin's thread has to answer a ping before it is taken as stuck and terminated. */
const RESPONSIVE_WAIT_MS = 250;
/** A call into a thread still unanswered after this long (or twice the lifecycle limit) is forgotten. */
const STALE_CALL_MS = 60_000;

/** What a slot held when it left the pipeline, for release(). */
interface Detached {
  slot: Slot;
  instance: PluginInstance | undefined;
  open: OpenContext | undefined;
  worker: IsolatedPlugin | undefined;
}

export interface PluginHostOptions {
  logger: Logger;
  /** The daemon's data folder; plugin data goes to `<dataDir>/plugins/<name>/`. */
  dataDir: string;
  /** The `plugins` config section with its defaults filled in. */
  config: PluginsConfig;
  /** Receives `hotwordsChanged` and `pluginState`; optional for offline use (CLI). */
  bus?: EventBus;
  /** Built-in plugins folder; default `<package>/plugins`. */
  builtinDir?: string;
  /** node_modules searched when `config.npm`; default `<package>/node_modules`. */
  nodeModulesDir?: string;
}

/** `earshot plugins info`: a plugin's status plus where it lives and its effective config. */
export interface PluginInfo extends PluginStatus {
  /** The `engines.earshot` range it declares. */
  engines?: string;
  /** The module the host imports. */
  main?: string;
  /** Path of the config JSON Schema it ships. */
  configSchema?: string;
  /** Its config after validation, defaults filled in (absent until it was started once). */
  config?: Record<string, unknown>;
}

/** Thrown for a plugin name that matches no discovered plugin. */
export class UnknownPluginError extends Error {
  constructor(
    readonly query: string,
    known: string[],
    why = `no plugin named "${query}"; known plugins:`,
  ) {
    super(`${why} ${known.join(', ') || '(none)'}`);
    this.name = 'UnknownPluginError';
  }
}

/**
 * The plugin host: finds plugins, checks their API version and config, builds each with its
 * own narrow context, and runs them in config order with every call guarded (time limit,
 * exceptions, rejections). A plugin that fails `maxFailures` times in a row is set aside; the
 * transcript goes on without it and the result names it in `skipped`.
 */
export class PluginHost implements Service {
  readonly name = 'plugins';
  private slots: Slot[] = [];
  private choices: OperatorChoices = {};
  /** Why plugins/state.json could not be read at start, until an enable or disable writes it again. */
  private choicesUnreadable: string | undefined;
  private readonly setAside = new Set<Promise<void>>();
  private readonly outcomes: OutcomeSink = {
    recordSuccess: (slot) => this.recordSuccess(slot),
    recordFailure: (slot, reason, detail) => this.recordFailure(slot, reason, detail),
  };
  /**
   * Partials' calls: a failure withholds that partial (the partial publisher logs it,
   * throttled) and is counted apart. It does not set the plugin aside: partials come several
   * a second and are unfinished phrases, so a plugin that cannot parse "twenty fi" would
   * otherwise be disabled for the finals it handles, and log a WARN per partial. Nor does a
   * success on a partial reset the count of failures in a row on finals.
   */
  private readonly partialOutcomes: OutcomeSink = {
    recordSuccess: (slot) => {
      if (slot.instance) slot.calls++;
    },
    recordFailure: (slot, _reason, detail) => {
      if (!slot.instance) return;
      // A call stuck past its limit may be a thread in an endless loop: that is checked as for finals.
      if (detail?.timedOutIn !== undefined) slot.worker?.stopIfStuck(detail.timedOutIn);
      slot.partialFailures++;
    },
  };
  private readonly collector: HotwordCollector;
  private started = false;

  constructor(private readonly options: PluginHostOptions) {
    this.collector = new HotwordCollector({
      logger: options.logger,
      bus: options.bus,
      timeoutMs: options.config.lifecycleTimeoutMs,
      outcomes: this.outcomes,
      slots: () => this.slots,
    });
  }

  private get config(): PluginsConfig {
    return this.options.config;
  }

  private get choiceFile(): OperatorChoiceFile {
    return operatorChoiceFile(this.options.dataDir);
  }

  /** Discover every plugin and start the enabled ones; a broken plugin never stops the others. */
  async start(): Promise<void> {
    this.started = true;
    this.collector.resume();
    const saved = this.choiceFile.read();
    this.choices = saved.choices;
    this.choicesUnreadable = saved.unreadable;
    if (saved.unreadable) this.options.logger.error(saved.unreadable);
    const candidates = discoverPlugins(pluginRoots(this.config, packageRoot, this.options));
    this.slots = this.ordered(candidates.map((c) => this.slotFor(c)));
    for (const slot of this.slots) {
      if (slot.state === 'error') this.options.logger.error(`plugin ${slot.name} not loaded: ${slot.error}`);
    }
    const found = [...new Set(this.slots.map((s) => s.alias))].join(', ') || '(none)';
    for (const unknown of unknownPluginNames(this.config, this.slots)) this.options.logger.warn(unknownNameWarning(unknown, found));
    for (const ambiguous of ambiguousPluginNames(this.config, this.slots)) this.options.logger.warn(ambiguousNameWarning(ambiguous));
    // In parallel: a plugin whose create() hangs costs the start its time limit once, not per plugin.
    await Promise.all(this.slots.filter((s) => s.state === 'running').map((s) => this.serial(s, () => this.activate(s))));
    await this.collector.refresh(this.slots);
    this.options.logger.info(`plugins: ${this.slots.filter((s) => s.state === 'running').map((s) => s.alias).join(', ') || 'none'} running`, {
      found: this.slots.length,
    });
    const unavailable = this.requiredUnavailable();
    if (unavailable !== undefined) this.options.logger.error(`${unavailable}: no transcript is published until it runs; jobs wait`);
    for (const slot of this.slots.filter((s) => this.isRequired(s) && s.languages !== undefined)) {
      this.options.logger.warn(`plugins.required names ${slot.name}, which runs on ${slot.languages!.join(', ')} transcripts only: those in other languages are published without it`);
    }
  }

  /** Stop every plugin (each stop guarded) and release every schedule, watch and timer. */
  async stop(): Promise<void> {
    this.started = false;
    await this.collector.stop();
    // After whatever each plugin is in the middle of (a start, an enable, a set-aside).
    for (const slot of this.slots) await this.serial(slot, async () => (slot.instance ? this.deactivate(slot, slot.state) : undefined));
    await Promise.all(this.setAside);
  }

  state(): ServiceState {
    const running = this.slots.filter((s) => s.state === 'running').length;
    const failed = this.slots.filter((s) => s.state === 'failed' || s.state === 'error').map((s) => s.alias);
    const detail = `${running} running${failed.length ? `, failed: ${failed.join(', ')}` : ''}`;
    const unavailable = this.started ? this.requiredUnavailable() : undefined;
    if (unavailable !== undefined) return { state: 'degraded', detail, problem: [`${unavailable}: transcripts wait`, this.choicesUnreadable].filter(Boolean).join('; ') };
    return { state: this.started ? 'running' : 'stopped', detail, ...(this.choicesUnreadable ? { problem: this.choicesUnreadable } : {}) };
  }

  /**
   * Why transcripts must wait now, when a plugin in plugins.required cannot run (not
   * installed, not loaded, disabled, set aside, starting); undefined when they need not.
   */
  requiredUnavailable(): string | undefined {
    const missing = requiredNotRunning(this.config.required, this.slots);
    return missing.length > 0 ? describeMissing(missing) : undefined;
  }

  /** Every discovered plugin, in run order. */
  list(): PluginStatus[] {
    return this.slots.map((slot) => this.statusOf(slot));
  }

  private statusOf(slot: Slot): PluginStatus {
    const status = slotStatus(slot);
    return this.isRequired(slot) ? { ...status, required: true } : status;
  }

  private isRequired(slot: Slot): boolean {
    return this.config.required.includes(slot.name) || this.config.required.includes(slot.alias);
  }

  /** One plugin's status plus its manifest details and (validated) config. */
  info(query: string): PluginInfo {
    const slot = this.find(query);
    const out: PluginInfo = this.statusOf(slot);
    if (slot.manifest) {
      out.engines = slot.manifest.engines;
      out.main = slot.manifest.main;
      if (slot.manifest.configSchema) out.configSchema = slot.manifest.configSchema;
    }
    if (slot.config) out.config = structuredClone(slot.config);
    return out;
  }

  /** Start a disabled, failed or broken plugin again (failure counts reset); remembered across restarts. */
  async enable(query: string): Promise<PluginStatus> {
    const slot = this.find(query);
    this.remember(slot, 'enabled');
    // Serialized with the plugin's other changes: two enables never start two instances.
    await this.serial(slot, async () => {
      if (slot.state === 'running' && slot.instance) return;
      if (slot.manifest === undefined) return; // refused at discovery: nothing to start
      slot.consecutiveFailures = 0;
      delete slot.error;
      await this.activate(slot);
      await this.collector.refresh([slot]);
      if (slot.state === 'running') this.options.logger.info(`plugin ${slot.name} enabled (earshot plugins enable); remembered across restarts`);
    });
    return this.statusOf(slot);
  }

  /** Stop a plugin now; remembered across restarts. */
  async disable(query: string): Promise<PluginStatus> {
    const slot = this.find(query);
    this.remember(slot, 'disabled');
    await this.serial(slot, () => this.deactivate(slot, 'disabled'));
    this.collector.publish();
    // Said in the journal either way: an operator's change is part of the box's history.
    if (this.isRequired(slot)) this.options.logger.warn(`plugin ${slot.name} disabled, and plugins.required names it: no transcript is published until it is enabled again; jobs wait`);
    else this.options.logger.info(`plugin ${slot.name} disabled (earshot plugins disable); remembered across restarts`);
    return this.statusOf(slot);
  }

  /** The merged hotwords of every running provider; with a language, those for it (and language-free ones). */
  hotwords(language?: string): Hotword[] {
    return this.collector.current(language);
  }

  /**
   * Run the enabled normalizers, then the filters, in config order, on one final transcript.
   * Never throws because of a plugin: a failing one is skipped and named in `skipped`;
   * `applied` names every plugin whose output was taken (changed or not); `requiredMissing`
   * names the plugins.required ones that did not run on it (the caller must not publish it).
   */
  async process(transcript: TranscriptForPlugins): Promise<ProcessedTranscript> {
    return this.runOn(transcript, this.outcomes);
  }

  /** As {@link process}, for a live partial: failures are counted apart (see partialOutcomes). */
  async processPartial(transcript: TranscriptForPlugins): Promise<ProcessedTranscript> {
    return this.runOn(transcript, this.partialOutcomes);
  }

  private async runOn(transcript: TranscriptForPlugins, outcomes: OutcomeSink): Promise<ProcessedTranscript> {
    const processed = await runPipeline(this.slots, transcript, (slot) => lookup(this.config.timeouts, slot) ?? this.config.timeoutMs, outcomes);
    const missing = requiredMissing(this.config.required, this.slots, processed.skipped);
    return missing.length > 0 ? { ...processed, requiredMissing: missing } : processed;
  }

  // ---- internals ----

  private slotFor(c: Candidate): Slot {
    const { name, alias } = candidateNames(c);
    const base = { name, alias, source: c.source, kinds: [], calls: 0, failures: 0, consecutiveFailures: 0, partialFailures: 0, hotwords: [] };
    if (!c.ok) return { ...base, dir: c.dir, state: 'error', error: c.error, ...(c.version !== undefined ? { version: c.version } : {}) };
    return { ...base, dir: c.manifest.dir, manifest: c.manifest, state: startsDisabled(this.choices, this.config.disabled, base) ? 'disabled' : 'running' };
  }

  /** Config `order` first (by name or alias), the rest by name. */
  private ordered(slots: Slot[]): Slot[] {
    const rank = (s: Slot): number => {
      const i = this.config.order.findIndex((o) => o === s.name || o === s.alias);
      return i === -1 ? Number.MAX_SAFE_INTEGER : i;
    };
    return [...slots].sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
  }

  private find(query: string): Slot {
    const named = slotsNamed(this.slots, query);
    if (named.length === 0) throw new UnknownPluginError(query, this.slots.map((s) => s.name));
    if (named.length > 1) throw new UnknownPluginError(query, named.map((s) => s.name), `"${query}" is the short name of ${named.length} plugins: write the full name, one of`);
    return named[0]!;
  }

  private remember(slot: Slot, choice: 'enabled' | 'disabled'): void {
    this.choices = { ...this.choices, [slot.name]: choice };
    this.choiceFile.write(this.choices);
    this.choicesUnreadable = undefined;
  }

  private setState(slot: Slot, state: PluginState, error?: string): void {
    slot.state = state;
    if (error !== undefined) slot.error = error;
    this.options.bus?.emit('pluginState', error !== undefined ? { plugin: slot.name, state, error } : { plugin: slot.name, state });
  }

  /** Validate config, import, create (guarded); the slot ends `running` or `error`. */
  private async activate(slot: Slot): Promise<void> {
    const manifest = slot.manifest!;
    const logger = this.options.logger.child(slot.alias);
    const fail = (message: string): void => {
      logger.error(`plugin ${slot.name} not started: ${message}`);
      this.setState(slot, 'error', message);
    };
    try {
      slot.config = validatePluginConfig(manifest, lookup(this.config.config, slot));
    } catch (err) {
      return fail(describeError(err));
    }
    const isolated = this.config.isolation === 'thread' || (this.config.isolation === 'auto' && slot.source !== 'builtin');
    try {
      if (isolated) await this.createInThread(slot, logger);
      else await this.createInline(slot, logger);
    } catch (err) {
      return fail(describeError(err));
    }
    this.setState(slot, 'running');
    logger.debug(() => `plugin ${slot.name}@${manifest.version} started (${slot.kinds.join(', ')}${isolated ? ', own thread' : ''})`);
  }

  /**
   * Run `change` after every earlier start, enable, disable or set-aside of this plugin has
   * finished, so the slot is never changed by two of them at once.
   */
  private serial<T>(slot: Slot, change: () => Promise<T>): Promise<T> {
    const run = (slot.changing ?? Promise.resolve()).then(change);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    slot.changing = settled;
    void settled.then(() => {
      if (slot.changing === settled) delete slot.changing;
    });
    return run;
  }

  /** What both ways of running a plugin give its context besides config and data folder. */
  private contextHooks(slot: Slot) {
    return {
      taskTimeoutMs: this.config.lifecycleTimeoutMs,
      onTaskOutcome: (outcome: CallOutcome<unknown>) => (outcome.ok ? this.recordSuccess(slot) : this.recordFailure(slot, `scheduled task ${outcome.reason}`, { at: outcome.at })),
      hotwordsChanged: () => this.collector.requestRefresh(slot),
      hotwords: async (language?: string) => this.hotwords(language),
    };
  }

  /** Import and create the plugin in the daemon's thread. @throws Error saying why it cannot run */
  private async createInline(slot: Slot, logger: Logger): Promise<void> {
    const lifecycle = this.config.lifecycleTimeoutMs;
    const imported = await guardedCall(() => importDefinition(slot.manifest!), lifecycle);
    if (!imported.ok) throw new Error(imported.reason.replace(/^rejected: /, ''));
    const open = openPluginContext({ name: slot.name, logger, config: slot.config!, dataDir: this.pluginDataDir(slot), ...this.contextHooks(slot) });
    const created = await guardedCall(() => imported.value.create(open.context), lifecycle);
    try {
      if (!created.ok) throw new Error(`create() ${created.reason}${atSuffix(created.at)}`);
      slot.kinds = instanceKinds(slot.name, created.value);
    } catch (err) {
      open.close();
      // An instance that is unusable may still hold resources; let it release them.
      if (created.ok) void guardedCall(() => created.value.stop?.(), lifecycle);
      throw err;
    }
    slot.instance = created.value;
    slot.open = open;
    slot.description = imported.value.description;
    const languages = created.value.normalizer?.languages ?? created.value.filter?.languages;
    if (languages) slot.languages = [...languages];
    else delete slot.languages;
  }

  /** Start the plugin's worker thread and create it there. @throws Error saying why it cannot run */
  private async createInThread(slot: Slot, logger: Logger): Promise<void> {
    const worker = new IsolatedPlugin({
      manifest: slot.manifest!,
      config: slot.config!,
      dataDir: this.pluginDataDir(slot),
      memoryMb: this.config.threadMemoryMb,
      bufferMb: this.config.threadBufferMb,
      staleCallMs: Math.max(STALE_CALL_MS, this.config.lifecycleTimeoutMs * 2),
      logger,
      ...this.contextHooks(slot),
      onLost: (reason, counted) => this.threadLost(slot, worker, reason, counted),
    });
    // Starting a thread and importing the plugin in it is not the time create() is allowed.
    const started = await guardedCall(() => worker.ready, Math.max(THREAD_START_TIMEOUT_MS, this.config.lifecycleTimeoutMs));
    if (!started.ok) {
      void worker.terminate();
      throw new Error(started.reason.startsWith('rejected: ') ? started.reason.slice('rejected: '.length) : `its worker thread did not start: ${started.reason}`);
    }
    const created = await guardedCall(() => worker.create(), this.config.lifecycleTimeoutMs);
    if (!created.ok) {
      void worker.terminate();
      throw new Error(created.reason.startsWith('rejected: ') ? created.reason.slice('rejected: '.length) : `create() ${created.reason}`);
    }
    slot.instance = worker.instance(created.value);
    slot.worker = worker;
    slot.kinds = created.value.kinds;
    slot.description = created.value.description;
    if (created.value.languages) slot.languages = created.value.languages;
    else delete slot.languages;
  }

  /** A plugin's thread ended on its own (crash, process.exit, out of memory): it is failed now. */
  private threadLost(slot: Slot, worker: IsolatedPlugin, reason: string, counted: boolean): void {
    if (slot.worker !== worker || slot.state !== 'running') return;
    // One failure for the loss; the calls it was serving are then not counted again
    // (the slot is set aside before their rejections arrive). A thread stuck in a call or
    // task that already counted as failed is that same failure, not a second one.
    if (!counted) {
      slot.failures++;
      slot.consecutiveFailures++;
    }
    this.options.logger.child(slot.alias).error(`plugin ${slot.name} stopped: ${reason}; re-enable with \`earshot plugins enable ${slot.alias}\``);
    this.setAsideInBackground(slot, reason);
  }

  private pluginDataDir(slot: Slot): string {
    return join(this.options.dataDir, 'plugins', slot.name);
  }

  /** Stop the instance (guarded), release its context or thread, drop its hotwords. */
  private deactivate(slot: Slot, state: PluginState, error?: string): Promise<void> {
    return this.release(this.detach(slot, state, error));
  }

  /** At once: the slot leaves the pipeline (the next transcript skips it) and takes its new state. */
  private detach(slot: Slot, state: PluginState, error?: string): Detached {
    const detached: Detached = { slot, instance: slot.instance, open: slot.open, worker: slot.worker };
    delete slot.instance;
    delete slot.open;
    delete slot.worker;
    slot.hotwords = [];
    if (slot.state !== state || error !== undefined) this.setState(slot, state, error);
    return detached;
  }

  /** Then: its context closed, stop() given its chance, its thread ended. */
  private async release({ slot, instance, open, worker }: Detached): Promise<void> {
    open?.close();
    // A thread whose event loop does not answer (stuck in a loop) would never run stop():
    // terminate it at once instead; its thread's resources go with it.
    if (worker && !(await worker.responsive(RESPONSIVE_WAIT_MS))) {
      await worker.terminate();
      return;
    }
    if (instance?.stop) {
      const stopped = await guardedCall(() => instance.stop!(), this.config.lifecycleTimeoutMs);
      if (!stopped.ok) this.options.logger.child(slot.alias).warn(`plugin ${slot.name} stop() ${stopped.reason}`);
    }
    // After stop() had its chance, or ran out of time.
    await worker?.terminate();
  }

  private recordSuccess(slot: Slot): void {
    if (!slot.instance) return;
    slot.calls++;
    slot.consecutiveFailures = 0;
  }

  /**
   * Count a failure; at maxFailures in a row, set the plugin aside until it is enabled again.
   * A call past its limit in a plugin thread may have the thread stuck in a loop, burning a
   * core until enough later calls fail (hours, when transcripts are rare): the thread is
   * asked whether it still answers, and stopped as lost if not.
   */
  private recordFailure(slot: Slot, reason: string, detail: FailureDetail = {}): void {
    // A call that ends after the plugin was stopped or set aside (cut off by that) is not a new failure.
    if (!slot.instance) return;
    if (detail.timedOutIn !== undefined) slot.worker?.stopIfStuck(detail.timedOutIn);
    slot.failures++;
    slot.consecutiveFailures++;
    slot.error = reason;
    const logger = this.options.logger.child(slot.alias);
    // `at` points the plugin's author at the line; the reason alone says what, not where.
    logger.warn(`plugin ${slot.name} failed: ${reason}`, { failures: slot.consecutiveFailures, maxFailures: this.config.maxFailures, ...(detail.at !== undefined ? { at: detail.at } : {}) });
    if (slot.consecutiveFailures < this.config.maxFailures || slot.state !== 'running') return;
    logger.error(`plugin ${slot.name} disabled after ${slot.consecutiveFailures} ${slot.consecutiveFailures === 1 ? 'failure' : 'failures'} in a row; re-enable with \`earshot plugins enable ${slot.alias}\`${this.isRequired(slot) ? '; plugins.required names it: no transcript is published until it runs again, jobs wait' : ''}`);
    this.setAsideInBackground(slot, reason);
  }

  /** The state changes now (the next transcript skips it); its stop() finishes in the background. */
  private setAsideInBackground(slot: Slot, reason: string): void {
    const detached = this.detach(slot, 'failed', reason);
    this.collector.publish(); // its hotwords leave the decoder now, not after its stop()
    const done = this.serial(slot, () => this.release(detached));
    this.setAside.add(done);
    void done.finally(() => this.setAside.delete(done));
  }
}
