import { existsSync } from 'node:fs';
import { loadConfig } from '../config/load.js';
import { LogSink } from '../log/logger.js';
import { PluginHost } from './host.js';
import type { PluginsConfig } from './types.js';

/** Which config file the CLI's offline mode reads. */
export interface OfflineTarget {
  /** --config, when given. */
  config?: string | undefined;
  /** Read when --config is not given and this file exists (the installed box's config). */
  defaultConfigFile: string;
}

/**
 * Run `work` against a plugin host started in this process from the config file (for
 * `earshot plugins list --offline` and other commands that must work without the daemon),
 * then stop it. Host warnings go to stderr.
 */
export async function withOfflineHost<T>(target: OfflineTarget, work: (host: PluginHost) => T | Promise<T>): Promise<T> {
  const file = target.config ?? (existsSync(target.defaultConfigFile) ? target.defaultConfigFile : undefined);
  const config = loadConfig({ file, env: process.env });
  const plugins = config.plugins as PluginsConfig | undefined;
  if (plugins === undefined) {
    throw new Error('this earshot has no "plugins" section in config.schema.json; reinstall earshot (the config schema is incomplete)');
  }
  const logger = new LogSink({ level: 'warn', format: 'text', write: (line) => void process.stderr.write(line + '\n') }).logger('plugins');
  const host = new PluginHost({ logger, dataDir: config.dataDir, config: plugins });
  await host.start();
  try {
    return await work(host);
  } finally {
    await host.stop();
  }
}
