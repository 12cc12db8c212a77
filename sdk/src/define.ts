import { API_VERSION } from './version.js';
import type { PluginContext } from './context.js';
import type { HotwordProvider } from './hotwords.js';
import type { TextNormalizer, TranscriptFilter } from './text-plugins.js';

/**
 * What a plugin's `create` returns: one or more plugin kinds, and an optional `stop`.
 * A plugin may offer several kinds (a hotword provider that also corrects near-misses).
 */
export interface PluginInstance {
  /** Supplies hotwords to the decoder. */
  hotwordProvider?: HotwordProvider;
  /** Rewrites transcripts, finals and live partials (inverse text normalization). */
  normalizer?: TextNormalizer;
  /** Edits transcripts, finals and live partials, after all normalizers (redaction). */
  filter?: TranscriptFilter;
  /**
   * Release what the plugin opened itself. Schedules and file watches made through the
   * context are released by the host; `stop` runs with the host's time limit.
   */
  stop?(): void | Promise<void>;
}

/**
 * A plugin, as its package's main module exports it (`export default definePlugin({...})`).
 * @typeParam C - the type of the plugin's validated config.
 */
export interface PluginDefinition<C = Record<string, unknown>> {
  /** The SDK {@link API_VERSION} the plugin was built against; set by {@link definePlugin}. */
  readonly apiVersion: string;
  /** One line shown by `earshot plugins list`; defaults to the package.json description. */
  readonly description?: string;
  /**
   * Build the plugin for one run of the host. Called once per start (and again after
   * `earshot plugins enable`), with a time limit; may be async. Do the work here or in the
   * returned kinds, not at module load.
   */
  create(context: PluginContext<C>): PluginInstance | Promise<PluginInstance>;
}

/** What {@link definePlugin} accepts: a {@link PluginDefinition} without `apiVersion`. */
export type PluginSpec<C> = Omit<PluginDefinition<C>, 'apiVersion'>;

/**
 * Declare a plugin. Export the result as the default export of the package's main module.
 *
 * @example
 * ```ts
 * import { definePlugin } from '@earshot/sdk';
 * export default definePlugin<{ word: string }>({
 *   create: (ctx) => ({
 *     filter: { filter: ({ text }) => ({ text: text.replaceAll(ctx.config.word, '***') }) },
 *   }),
 * });
 * ```
 */
export function definePlugin<C = Record<string, unknown>>(spec: PluginSpec<C>): PluginDefinition<C> {
  return Object.freeze({ ...spec, apiVersion: API_VERSION });
}

/** Whether `value` looks like a {@link PluginDefinition} (used by the host on a loaded module). */
export function isPluginDefinition(value: unknown): value is PluginDefinition<unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { apiVersion?: unknown; create?: unknown };
  return typeof v.apiVersion === 'string' && typeof v.create === 'function';
}
