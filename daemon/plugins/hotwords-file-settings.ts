import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HotwordsFileConfig } from '@earshot/plugin-hotwords-file';
import { loadConfig } from '../config/load.js';
import { validatePluginConfig } from './config-validation.js';
import { parseManifest, readPackageJson } from './manifest.js';
import type { PluginsConfig } from './types.js';

/**
 * The hotwords-file plugin's settings as the daemon would give them: its section of the
 * config file (when one is given), then `overrides`, validated against the plugin's own schema
 * so the defaults come from that schema only. For `earshot hotwords test`.
 * @throws ConfigError for a bad config file; Error with `plugins.config.hotwords-file.*` lines for bad settings
 */
export function hotwordsFileSettings(configFile: string | undefined, overrides: Partial<HotwordsFileConfig>): HotwordsFileConfig {
  // The package folder: dist/index.js sits one level below it.
  const dir = dirname(dirname(fileURLToPath(import.meta.resolve('@earshot/plugin-hotwords-file'))));
  const manifest = parseManifest(dir, readPackageJson(join(dir)) ?? {});
  let section: Record<string, unknown> = {};
  if (configFile !== undefined) {
    const plugins = loadConfig({ file: configFile, env: process.env }).plugins as PluginsConfig | undefined;
    const sections = plugins?.config ?? {};
    section = (sections[manifest.name] ?? sections[manifest.alias] ?? {}) as Record<string, unknown>;
  }
  return validatePluginConfig(manifest, { ...section, ...overrides }) as unknown as HotwordsFileConfig;
}
