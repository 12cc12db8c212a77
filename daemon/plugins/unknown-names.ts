import { childPath, editDistance } from '../config/errors.js';
import type { PluginsConfig } from './types.js';

/** A plugin setting that names no plugin found: a typo, or a plugin uninstalled since. */
export interface UnknownPluginName {
  /** Where it is, as config errors write it: `plugins.config.no-such-plugin`, `plugins.order[2]`. */
  setting: string;
  name: string;
  /** A plugin name or alias close to it, if any. */
  near?: string;
}

/**
 * The plugin names in `plugins.config`, `plugins.timeouts` (keys), `plugins.order`,
 * `plugins.disabled` and `plugins.required` that match no discovered plugin by name or
 * alias. Not refused: a plugin may be uninstalled on purpose, its settings left for later,
 * but each one is otherwise ignored without a word.
 */
export function unknownPluginNames(config: PluginsConfig, plugins: Array<{ name: string; alias: string }>): UnknownPluginName[] {
  const known = new Set(plugins.flatMap((p) => [p.name, p.alias]));
  return namesInConfig(config)
    .filter(({ name }) => !known.has(name))
    .map((unknown) => {
      const near = nearest(unknown.name, known);
      return near === undefined ? unknown : { ...unknown, near };
    });
}

/** The known name closest to `name`, when a typo could explain it (two edits, or case alone). */
function nearest(name: string, known: Set<string>): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = candidate.toLowerCase() === name.toLowerCase() ? 0 : editDistance(candidate, name);
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { name: candidate, distance };
  }
  return best?.name;
}

/** The warning for a setting that names no plugin found; `found` lists the aliases there are. */
export function unknownNameWarning({ setting, name, near }: UnknownPluginName, found: string): string {
  return `${setting}: no plugin named "${name}" is installed, so this is ignored${near ? `; did you mean "${near}"?` : ''} (plugins found: ${found})`;
}

/** A plugin setting that names plugins by a short name more than one of them has. */
export interface AmbiguousPluginName {
  setting: string;
  name: string;
  /** The full names of the plugins it may mean, in the order found. */
  plugins: string[];
}

/**
 * The plugin settings whose name is the alias of two plugins or more (`redact` for
 * `@earshot/plugin-redact` and `@acme/plugin-redact`). Every plugin takes such a setting as
 * its own (`plugins.required` then requires them all), which may not be what was meant.
 */
export function ambiguousPluginNames(config: PluginsConfig, plugins: Array<{ name: string; alias: string }>): AmbiguousPluginName[] {
  return namesInConfig(config).flatMap(({ setting, name }) => {
    if (plugins.some((p) => p.name === name)) return [];
    const sharing = plugins.filter((p) => p.alias === name).map((p) => p.name);
    return sharing.length > 1 ? [{ setting, name, plugins: sharing }] : [];
  });
}

/** The warning for a setting whose short name several plugins share. */
export function ambiguousNameWarning({ setting, name, plugins }: AmbiguousPluginName): string {
  // Each plugin looks its settings up by full name, then by short name (lookup, slotFor): a shared one reaches them all.
  const applies = setting.startsWith('plugins.required') ? 'all of them are required' : 'it applies to all of them';
  return `${setting}: "${name}" is the short name of ${plugins.length} plugins (${plugins.join(', ')}), so ${applies}; write the full name`;
}

/** Every plugin name in the plugin settings, with where it is. */
function namesInConfig(config: PluginsConfig): Array<{ setting: string; name: string }> {
  return [
    ...Object.keys(config.config).map((name) => ({ setting: childPath('plugins.config', name), name })),
    ...Object.keys(config.timeouts).map((name) => ({ setting: childPath('plugins.timeouts', name), name })),
    ...config.order.map((name, i) => ({ setting: `plugins.order[${i}]`, name })),
    ...config.disabled.map((name, i) => ({ setting: `plugins.disabled[${i}]`, name })),
    ...config.required.map((name, i) => ({ setting: `plugins.required[${i}]`, name })),
  ];
}
