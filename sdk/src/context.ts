import type { Hotword } from './hotwords.js';

/** A handle the plugin can use to cancel what it registered; the host also cancels it on stop. */
export interface Disposable {
  /** Stop the schedule or watch. Calling it twice does nothing. */
  dispose(): void;
}

/** Extra structured fields for a log record (`{ file: "/etc/x", count: 3 }`). */
export type LogFields = Record<string, unknown>;

/**
 * The plugin's logger. Every record carries the plugin's short name as namespace
 * (`earshot:plugins:<alias>`, e.g. `earshot:plugins:redact-cards`); pass a function as message to build expensive debug text lazily.
 */
export interface PluginLogger {
  /** Something failed and the plugin could not do its job (always logged). */
  error(message: string | (() => string), fields?: LogFields): void;
  /** Something is wrong but the plugin carries on (a skipped line, a fallback). */
  warn(message: string | (() => string), fields?: LogFields): void;
  /** A notable event an operator wants in the journal (a list reloaded). */
  info(message: string | (() => string), fields?: LogFields): void;
  /** Detail for troubleshooting; pass a function so the text is only built when shown. */
  debug(message: string | (() => string), fields?: LogFields): void;
}

/** A JSON value, as the key-value store keeps it. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * A small persistent key-value store private to the plugin, kept as a JSON file under the
 * daemon's data directory (`<dataDir>/plugins/<name>/`). Writes are atomic (write + rename).
 * Meant for state such as "last refresh time", not for bulk data.
 */
export interface KeyValueStore {
  /** The stored value, or `undefined` when the key is not set. */
  get<T extends JsonValue = JsonValue>(key: string): Promise<T | undefined>;
  /** Store a JSON value under `key`, replacing any earlier one. */
  set(key: string, value: JsonValue): Promise<void>;
  /** Remove `key`; returns whether it was set. */
  delete(key: string): Promise<boolean>;
  /** All keys currently set. */
  keys(): Promise<string[]>;
}

/**
 * When a scheduled task runs: a number is an interval in milliseconds (at least 1000), a
 * string is a cron expression with five or six fields (`"*\/10 * * * *"` = every ten minutes),
 * as understood by node-cron.
 */
export type ScheduleSpec = number | string;

/**
 * Everything a plugin may touch, handed to {@link PluginDefinition.create}. A plugin gets
 * nothing else from the daemon: no services, no bus, no global state.
 *
 * @typeParam C - the type of the plugin's config, as validated against the plugin's schema.
 */
export interface PluginContext<C = Record<string, unknown>> {
  /** The plugin's name (its npm package name), as used in the daemon config and the CLI. */
  readonly name: string;
  /** The host's {@link API_VERSION}. */
  readonly apiVersion: string;
  /** A logger whose records carry the plugin's name. */
  readonly logger: PluginLogger;
  /**
   * The plugin's own config section, already validated against the JSON Schema the plugin
   * ships (package.json `earshot.configSchema`), with the schema's defaults filled in.
   */
  readonly config: Readonly<C>;
  /** A directory private to the plugin, created by the host (`<dataDir>/plugins/<name>`). */
  readonly dataDir: string;
  /** A persistent key-value store in {@link PluginContext.dataDir}. */
  readonly store: KeyValueStore;
  /** Aborted when the host stops or disables the plugin; pass it to fetches and timers. */
  readonly signal: AbortSignal;
  /**
   * Run `task` periodically (e.g. to refresh a hotword list). Errors and rejections of the
   * task are logged and counted as plugin failures. The host cancels the schedule when the
   * plugin stops.
   * @throws Error when `spec` is neither an interval ≥ 1000 ms nor a valid cron expression.
   */
  schedule(spec: ScheduleSpec, task: () => void | Promise<void>): Disposable;
  /**
   * Call `onChange` when the file at `path` is created, changed, replaced or removed (events
   * are debounced). Like a scheduled task, a throw, rejection or overrun of `onChange` is
   * logged and counted as a plugin failure. The host stops watching when the plugin stops.
   * @throws Error when the file's folder does not exist
   */
  watchFile(path: string, onChange: () => void | Promise<void>): Disposable;
  /**
   * Tell the host that this plugin's {@link HotwordProvider.hotwords} would now return a
   * different list; the host asks for it again and hands the new list to the decoder.
   */
  hotwordsChanged(): void;
  /**
   * The hotwords every enabled {@link HotwordProvider} gives right now, merged (for plugins
   * that correct transcripts towards hotwords). Resolves to `[]` when there are none.
   */
  hotwords(language?: string): Promise<Hotword[]>;
}
