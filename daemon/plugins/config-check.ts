import type { ConfigIssue } from '../config/errors.js';
import { PluginConfigError, validatePluginConfig } from './config-validation.js';
import { candidateNames, discoverPlugins, type DiscoveryRoots } from './discovery.js';
import { lookup } from './slot.js';
import { startsDisabled, type OperatorChoices } from './operator-choices.js';
import type { PluginsConfig } from './types.js';
import { ambiguousNameWarning, ambiguousPluginNames, unknownNameWarning, unknownPluginNames } from './unknown-names.js';

/** What `earshot config validate` finds in the plugin settings, without loading any plugin. */
export interface PluginSettingsCheck {
  /** Config sections the plugin's own schema refuses: that plugin would not start. */
  problems: ConfigIssue[];
  /** Settings that are ignored, and plugins that would not load for what is on disk. */
  warnings: string[];
}

/**
 * Check `plugins.*` as the daemon's start would, reading only the plugins' package.json and
 * config schemas: each section against its plugin's schema (with its defaults, as at start),
 * for every plugin that would start or has a section; and the names that match no plugin.
 * A plugin that starts disabled (`choices`, the operator's `earshot plugins disable`, else
 * plugins.disabled) and is given no section is not checked: it starts with none.
 */
export function checkPluginSettings(config: PluginsConfig, roots: DiscoveryRoots, choices: OperatorChoices = {}): PluginSettingsCheck {
  const problems: ConfigIssue[] = [];
  const warnings: string[] = [];
  const candidates = discoverPlugins(roots);
  const plugins = candidates.map(candidateNames);
  for (const c of candidates) {
    if (!c.ok) {
      warnings.push(`plugin ${c.name} would not load: ${c.error}`);
      continue;
    }
    const { manifest } = c;
    const section = lookup(config.config, manifest);
    if (section === undefined && startsDisabled(choices, config.disabled, manifest)) continue;
    try {
      validatePluginConfig(manifest, section);
    } catch (err) {
      if (err instanceof PluginConfigError) problems.push(...err.issues);
      else warnings.push(`plugin ${manifest.name} would not start: ${(err as Error).message}`);
    }
  }
  const found = [...new Set(plugins.map((p) => p.alias))].join(', ') || '(none)';
  for (const unknown of unknownPluginNames(config, plugins)) warnings.push(unknownNameWarning(unknown, found));
  for (const ambiguous of ambiguousPluginNames(config, plugins)) warnings.push(ambiguousNameWarning(ambiguous));
  return { problems, warnings };
}
