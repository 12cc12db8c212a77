import type { Hotword, TimedWord, SegmentInfo } from '@earshot/sdk';

/**
 * The `plugins` section of the daemon config, complete: the config loader fills the defaults
 * from config.schema.json (the only place they are written).
 */
export interface PluginsConfig {
  /** Extra directories to discover plugins in: a plugin package itself, or a folder of them. */
  dirs: string[];
  /** Discover npm packages with the keyword `earshot-plugin` under node_modules. */
  npm: boolean;
  /** Plugin names in the order their normalizers and filters run; unlisted ones follow by name. */
  order: string[];
  /** Plugin names (full package name or short alias) that stay disabled at start. */
  disabled: string[];
  /** Plugin names (full package name or short alias) no transcript or partial is published without. */
  required: string[];
  /** Each plugin's own config, by plugin name or alias; validated against the plugin's schema. */
  config: Record<string, unknown>;
  /** Time limit of one normalizer or filter call, in ms. */
  timeoutMs: number;
  /** Per-plugin time limits for normalizer/filter calls, by name or alias (overrides timeoutMs). */
  timeouts: Record<string, number>;
  /** Time limit of create, stop, hotwords() and scheduled tasks, in ms. */
  lifecycleTimeoutMs: number;
  /** Consecutive failures after which a plugin is disabled until `earshot plugins enable`. */
  maxFailures: number;
  /** Where plugins run: `auto` = built-ins in the daemon's thread, every other plugin in its own worker thread. */
  isolation: 'auto' | 'thread' | 'inline';
  /** Heap limit of one plugin's worker thread, in MB. */
  threadMemoryMb: number;
  /** Memory outside the heap (Buffers, ArrayBuffers) one plugin's worker thread may hold, in MB. */
  threadBufferMb: number;
}

/** Where a plugin was found. */
export type PluginSource = 'builtin' | 'dir' | 'npm';

/** The kinds a running plugin provides. */
export type PluginKind = 'hotwords' | 'normalizer' | 'filter';

/**
 * A plugin's state: `running` (enabled and healthy), `disabled` (by the operator or config),
 * `failed` (disabled by the host after too many failures), `error` (could not be loaded:
 * bad version, bad config, import or create failed; see `error`).
 */
export type PluginState = 'running' | 'disabled' | 'failed' | 'error';

/** One plugin, as `earshot plugins list` shows it. */
export interface PluginStatus {
  /** npm package name, e.g. `@earshot/plugin-itn-en`. */
  name: string;
  /** Short name accepted by the CLI and config, e.g. `itn-en`. */
  alias: string;
  version: string;
  description: string;
  source: PluginSource;
  /** The plugin's package directory. */
  path: string;
  state: PluginState;
  kinds: PluginKind[];
  /** Languages its normalizer/filter handles; absent means all. */
  languages?: string[];
  /** Successful calls since start, on finals and partials. */
  calls: number;
  /** Failed calls (threw, rejected, timed out, bad result) since start, partials' apart. */
  failures: number;
  /** Failures since the last success; the plugin is disabled when it reaches maxFailures. */
  consecutiveFailures: number;
  /**
   * Calls on live partials that failed since start. They withhold that partial but do not
   * count toward maxFailures: a partial is an unfinished phrase, many a second.
   */
  partialFailures: number;
  /** Why the plugin is in `error` or `failed` state, or its latest failure. */
  error?: string;
  /** While it runs: in its own worker thread or in the daemon's thread. */
  isolation?: 'thread' | 'inline';
  /** Named in plugins.required: while it does not run, transcripts wait for it. */
  required?: true;
}

/** A transcript as the daemon hands it to {@link PluginHost.process}. */
export interface TranscriptForPlugins {
  text: string;
  /** Word timestamps; may be absent or empty. */
  words?: TimedWord[];
  language?: string;
  segment?: SegmentInfo;
}

/** A plugin that should have run on a transcript but did not change it. */
export interface SkippedPlugin {
  plugin: string;
  reason: string;
}

/** A required plugin a transcript went without; `failedOnIt`: it ran, and failed on this one. */
export type RequiredMissing = SkippedPlugin & { failedOnIt?: true };

/** The result of {@link PluginHost.process}. */
export interface ProcessedTranscript {
  text: string;
  words: TimedWord[];
  /** Plugins whose output was used, in order. */
  applied: string[];
  /** Plugins that failed on this transcript or are set aside after failures. */
  skipped: SkippedPlugin[];
  /**
   * Required plugins (plugins.required) that did not run on it: present when there are any.
   * Such a transcript must not be published.
   */
  requiredMissing?: RequiredMissing[];
}

declare module '../bus.js' {
  interface BusEvents {
    /** The merged hotword list changed; the ASR engine rebuilds its decoder context. */
    hotwordsChanged: { hotwords: Hotword[] };
    /** A plugin changed state (enabled, disabled, failed). */
    pluginState: { plugin: string; state: PluginState; error?: string };
  }
}
