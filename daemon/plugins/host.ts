import { join } from 'node:path';
import { realignWords, type Hotword, type PluginDefinition, type PluginInstance, type TimedWord, type TranscriptInput } from '@earshot/sdk';
import type { EventBus } from '../bus.js';
import type { Logger } from '../log/logger.js';
import { packageRoot } from '../paths.js';
import type { Service } from '../service.js';
import { validatePluginConfig } from './config-validation.js';
import { candidateNames, discoverPlugins, type Candidate } from './discovery.js';
import { describeError, guardedCall, type CallOutcome } from './guarded-call.js';
import type { PluginManifest } from './manifest.js';
import { OperatorChoiceFile, type OperatorChoices } from './operator-choices.js';
import { openPluginContext, type OpenContext } from './plugin-context.js';
import { importDefinition, instanceKinds } from './plugin-loader.js';
import { checkHotwords, checkTranscriptOutput, languageMatches, mergeHotwords } from './plugin-results.js';
import type {
  PluginKind,
  PluginSource,
  PluginState,
  PluginStatus,
  PluginsConfig,
  ProcessedTranscript,
  SkippedPlugin,
  TranscriptForPlugins,
} from './types.js';

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
  ) {
    super(`no plugin named "${query}"; known plugins: ${known.join(', ') || '(none)'}`);
    this.name = 'UnknownPluginError';
  }
}

/** One discovered plugin and everything the host keeps about it. */
interface Slot {
  name: string;
  alias: string;
  source: PluginSource;
  dir: string;
  manifest?: PluginManifest;
  state: PluginState;
  error?: string;
  kinds: PluginKind[];
  languages?: string[];
  calls: number;
  failures: number;
  consecutiveFailures: number;
  definition?: PluginDefinition<unknown>;
  instance?: PluginInstance;
  open?: OpenContext;
  config?: Record<string, unknown>;
  hotwords: Hotword[];
}

/** Same-named keys are looked up by full name first, then by alias. */
function lookup<T>(map: Record<string, T>, slot: { name: string; alias: string }): T | undefined {
  return Object.hasOwn(map, slot.name) ? map[slot.name] : Object.hasOwn(map, slot.alias) ? map[slot.alias] : undefined;
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
  private merged: Hotword[] = [];
  private choices: OperatorChoices = {};
  private readonly background = new Set<Promise<void>>();
  private refreshTimer: NodeJS.Timeout | undefined;
  private readonly pendingRefresh = new Set<Slot>();
  private started = false;

  constructor(private readonly options: PluginHostOptions) {}

  private get config(): PluginsConfig {
    return this.options.config;
  }

  private get choiceFile(): OperatorChoiceFile {
    return new OperatorChoiceFile(join(this.options.dataDir, 'plugins', 'state.json'));
  }

  /** Discover every plugin and start the enabled ones; a broken plugin never stops the others. */
  async start(): Promise<void> {
    this.started = true;
    this.choices = this.choiceFile.read();
    const candidates = discoverPlugins({
      builtinDir: this.options.builtinDir ?? join(packageRoot, 'plugins'),
      dirs: this.config.dirs,
      nodeModulesDir: this.config.npm ? (this.options.nodeModulesDir ?? join(packageRoot, 'node_modules')) : undefined,
    });
    this.slots = this.ordered(candidates.map((c) => this.slotFor(c)));
    for (const slot of this.slots) {
      if (slot.state === 'error') this.options.logger.error(`plugin ${slot.name} not loaded: ${slot.error}`);
    }
    for (const slot of this.slots) if (slot.state === 'running') await this.activate(slot);
    await this.refreshHotwords(this.slots);
    this.options.logger.info(`plugins: ${this.slots.filter((s) => s.state === 'running').map((s) => s.alias).join(', ') || 'none'} running`, {
      found: this.slots.length,
    });
  }

  /** Stop every plugin (each stop guarded) and release every schedule, watch and timer. */
  async stop(): Promise<void> {
    this.started = false;
    clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    this.pendingRefresh.clear();
    for (const slot of this.slots) if (slot.instance) await this.deactivate(slot, slot.state);
    await Promise.all(this.background);
  }

  state(): { state: string; detail?: string } {
    const running = this.slots.filter((s) => s.state === 'running').length;
    const failed = this.slots.filter((s) => s.state === 'failed' || s.state === 'error').map((s) => s.alias);
    return { state: this.started ? 'running' : 'stopped', detail: `${running} running${failed.length ? `, failed: ${failed.join(', ')}` : ''}` };
  }

  /** Every discovered plugin, in run order. */
  list(): PluginStatus[] {
    return this.slots.map((s) => this.status(s));
  }

  /** One plugin's status plus its manifest details and (validated) config. */
  info(query: string): PluginInfo {
    const slot = this.find(query);
    const out: PluginInfo = { ...this.status(slot) };
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
    if (slot.state !== 'running' || !slot.instance) {
      if (slot.manifest === undefined) return this.status(slot); // refused at discovery: nothing to start
      slot.consecutiveFailures = 0;
      delete slot.error;
      await this.activate(slot);
      await this.refreshHotwords([slot]);
    }
    return this.status(slot);
  }

  /** Stop a plugin now; remembered across restarts. */
  async disable(query: string): Promise<PluginStatus> {
    const slot = this.find(query);
    this.remember(slot, 'disabled');
    const hadHotwords = slot.hotwords.length > 0;
    await this.deactivate(slot, 'disabled');
    if (hadHotwords) this.publishHotwords();
    return this.status(slot);
  }

  /** The merged hotwords of every running provider; with a language, those for it (and language-free ones). */
  hotwords(language?: string): Hotword[] {
    return this.merged.filter((h) => languageMatches(h.language === undefined ? undefined : [h.language], language)).map((h) => ({ ...h }));
  }

  /**
   * Run the enabled normalizers, then the filters, in config order, on one final transcript.
   * Never throws because of a plugin: a failing one is skipped and named in `skipped`.
   */
  async process(transcript: TranscriptForPlugins): Promise<ProcessedTranscript> {
    let text = transcript.text;
    let words: TimedWord[] = (transcript.words ?? []).map((w) => ({ ...w }));
    const applied: string[] = [];
    const skipped: SkippedPlugin[] = [];
    for (const kind of ['normalizer', 'filter'] as const) {
      for (const slot of this.slots) {
        if (!slot.kinds.includes(kind)) continue;
        if (slot.state === 'failed') {
          skipped.push({ plugin: slot.name, reason: `disabled after ${slot.consecutiveFailures} failures (last: ${slot.error ?? 'unknown'})` });
          continue;
        }
        const instance = slot.instance;
        if (slot.state !== 'running' || !instance) continue;
        const impl = kind === 'normalizer' ? instance.normalizer : instance.filter;
        if (!impl || !languageMatches(impl.languages, transcript.language)) continue;
        const input: TranscriptInput = {
          text,
          words: words.map((w) => ({ ...w })),
          ...(transcript.language !== undefined ? { language: transcript.language } : {}),
          ...(transcript.segment !== undefined ? { segment: { ...transcript.segment } } : {}),
        };
        const outcome = await guardedCall(() => (kind === 'normalizer' ? instance.normalizer!.normalize(input) : instance.filter!.filter(input)), this.timeoutFor(slot));
        const checked = outcome.ok ? checkTranscriptOutput(outcome.value) : outcome.reason;
        if (typeof checked === 'string') {
          this.recordFailure(slot, `${kind} call ${checked}`);
          skipped.push({ plugin: slot.name, reason: checked });
          continue;
        }
        this.recordSuccess(slot);
        words = checked.words ? checked.words.map((w) => ({ ...w })) : checked.text === text ? words : realignWords(words, checked.text);
        text = checked.text;
        applied.push(slot.name);
      }
    }
    return { text, words, applied, skipped };
  }

  // ---- internals ----

  private slotFor(c: Candidate): Slot {
    const { name, alias } = candidateNames(c);
    const base = { name, alias, source: c.source, kinds: [], calls: 0, failures: 0, consecutiveFailures: 0, hotwords: [] };
    if (!c.ok) return { ...base, dir: c.dir, state: 'error', error: c.error };
    const choice = lookup(this.choices, base);
    const disabled = choice !== undefined ? choice === 'disabled' : this.config.disabled.includes(name) || this.config.disabled.includes(alias);
    return { ...base, dir: c.manifest.dir, manifest: c.manifest, state: disabled ? 'disabled' : 'running' };
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
    const slot = this.slots.find((s) => s.name === query) ?? this.slots.find((s) => s.alias === query);
    if (!slot) throw new UnknownPluginError(query, this.slots.map((s) => s.name));
    return slot;
  }

  private timeoutFor(slot: Slot): number {
    return lookup(this.config.timeouts, slot) ?? this.config.timeoutMs;
  }

  private status(s: Slot): PluginStatus {
    const out: PluginStatus = {
      name: s.name,
      alias: s.alias,
      version: s.manifest?.version ?? '',
      description: s.definition?.description ?? s.manifest?.description ?? '',
      source: s.source,
      path: s.dir,
      state: s.state,
      kinds: [...s.kinds],
      calls: s.calls,
      failures: s.failures,
      consecutiveFailures: s.consecutiveFailures,
    };
    if (s.languages) out.languages = [...s.languages];
    if (s.error !== undefined) out.error = s.error;
    return out;
  }

  private remember(slot: Slot, choice: 'enabled' | 'disabled'): void {
    this.choices = { ...this.choices, [slot.name]: choice };
    this.choiceFile.write(this.choices);
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
    const lifecycle = this.config.lifecycleTimeoutMs;
    const fail = (message: string): void => {
      logger.error(`plugin ${slot.name} not started: ${message}`);
      this.setState(slot, 'error', message);
    };
    try {
      slot.config = validatePluginConfig(manifest, lookup(this.config.config, slot));
    } catch (err) {
      return fail(describeError(err));
    }
    const imported = await guardedCall(() => importDefinition(manifest), lifecycle);
    if (!imported.ok) return fail(imported.reason.replace(/^rejected: /, ''));
    slot.definition = imported.value;
    const open = openPluginContext({
      name: slot.name,
      logger,
      config: slot.config,
      dataDir: join(this.options.dataDir, 'plugins', slot.name),
      taskTimeoutMs: lifecycle,
      onTaskOutcome: (outcome) => this.taskOutcome(slot, outcome),
      hotwordsChanged: () => this.scheduleRefresh(slot),
      hotwords: async (language) => this.hotwords(language),
    });
    const created = await guardedCall(() => imported.value.create(open.context), lifecycle);
    let kinds: PluginKind[];
    try {
      if (!created.ok) throw new Error(`create() ${created.reason}`);
      kinds = instanceKinds(slot.name, created.value);
    } catch (err) {
      open.close();
      // A create() that finished late may still hand back a stop(); call it so nothing leaks.
      if (created.ok) void guardedCall(() => created.value.stop?.(), lifecycle);
      return fail(describeError(err));
    }
    slot.instance = created.value;
    slot.open = open;
    slot.kinds = kinds;
    const languages = created.value.normalizer?.languages ?? created.value.filter?.languages;
    if (languages) slot.languages = [...languages];
    else delete slot.languages;
    this.setState(slot, 'running');
    logger.debug(() => `plugin ${slot.name}@${manifest.version} started (${kinds.join(', ')})`);
  }

  /** Stop the instance (guarded), release its context, drop its hotwords. */
  private async deactivate(slot: Slot, state: PluginState, error?: string): Promise<void> {
    const instance = slot.instance;
    const open = slot.open;
    delete slot.instance;
    delete slot.open;
    this.pendingRefresh.delete(slot);
    slot.hotwords = [];
    if (slot.state !== state || error !== undefined) this.setState(slot, state, error);
    open?.close();
    if (instance?.stop) {
      const stopped = await guardedCall(() => instance.stop!(), this.config.lifecycleTimeoutMs);
      if (!stopped.ok) this.options.logger.child(slot.alias).warn(`plugin ${slot.name} stop() ${stopped.reason}`);
    }
  }

  private recordSuccess(slot: Slot): void {
    slot.calls++;
    slot.consecutiveFailures = 0;
  }

  /** Count a failure; at maxFailures in a row, set the plugin aside until it is enabled again. */
  private recordFailure(slot: Slot, reason: string): void {
    slot.failures++;
    slot.consecutiveFailures++;
    slot.error = reason;
    const logger = this.options.logger.child(slot.alias);
    logger.warn(`plugin ${slot.name} failed: ${reason}`, { failures: slot.consecutiveFailures, maxFailures: this.config.maxFailures });
    if (slot.consecutiveFailures < this.config.maxFailures || slot.state !== 'running') return;
    logger.error(`plugin ${slot.name} disabled after ${slot.consecutiveFailures} failures in a row; re-enable with \`earshot plugins enable ${slot.alias}\``);
    const hadHotwords = slot.hotwords.length > 0;
    const done = this.deactivate(slot, 'failed', reason).then(() => {
      if (hadHotwords) this.publishHotwords();
    });
    this.background.add(done);
    void done.finally(() => this.background.delete(done));
  }

  private taskOutcome(slot: Slot, outcome: CallOutcome<unknown>): void {
    if (outcome.ok) this.recordSuccess(slot);
    else this.recordFailure(slot, `scheduled task ${outcome.reason}`);
  }

  /** Coalesce hotwordsChanged() calls arriving together into one refresh. */
  private scheduleRefresh(slot: Slot): void {
    if (!this.started) return;
    this.pendingRefresh.add(slot);
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      const due = [...this.pendingRefresh];
      this.pendingRefresh.clear();
      const done = this.refreshHotwords(due);
      this.background.add(done);
      void done.finally(() => this.background.delete(done));
    }, 20);
  }

  /** Ask the given providers for their lists (guarded), then publish the merged list if it changed. */
  private async refreshHotwords(slots: Slot[]): Promise<void> {
    for (const slot of slots) {
      const provider = slot.instance?.hotwordProvider;
      if (slot.state !== 'running' || !provider) continue;
      const outcome = await guardedCall(() => provider.hotwords(), this.config.lifecycleTimeoutMs);
      const checked = outcome.ok ? checkHotwords(outcome.value) : outcome.reason;
      if (typeof checked === 'string') {
        this.recordFailure(slot, `hotwords() ${checked}`);
        continue;
      }
      this.recordSuccess(slot);
      if (checked.dropped.length > 0) {
        this.options.logger.child(slot.alias).warn(`plugin ${slot.name}: ${checked.dropped.length} hotwords dropped: ${checked.dropped.slice(0, 5).join('; ')}`);
      }
      if (slot.state === 'running') slot.hotwords = checked.hotwords;
    }
    this.publishHotwords();
  }

  private publishHotwords(): void {
    const merged = mergeHotwords(this.slots.filter((s) => s.state === 'running').map((s) => s.hotwords));
    if (JSON.stringify(merged) === JSON.stringify(this.merged)) return;
    this.merged = merged;
    this.options.logger.info(`hotwords: ${merged.length} phrases from ${this.slots.filter((s) => s.hotwords.length > 0).length} providers`);
    this.options.bus?.emit('hotwordsChanged', { hotwords: this.hotwords() });
  }
}
