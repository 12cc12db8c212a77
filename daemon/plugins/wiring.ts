import type { EventBus } from '../bus.js';
import type { EarshotConfig } from '../config/types.js';
import type { ControlServer } from '../control/server.js';
import type { Logger } from '../log/logger.js';
import { registerPluginMethods } from './control-methods.js';
import { PluginHost } from './host.js';
import type { PluginsConfig } from './types.js';

/** What the controller hands over to get the plugin host. */
export interface PluginHostDeps {
  /** The validated daemon config (its `plugins` section and `dataDir` are used). */
  config: EarshotConfig;
  logger: Logger;
  bus: EventBus;
  control: ControlServer;
}

/**
 * Build the daemon's plugin host and register its control methods (`plugins.*`,
 * `hotwords.list`). The controller starts it like any service, before the services that
 * produce transcripts, and calls `host.process()` on each final transcript.
 */
export function buildPluginHost(deps: PluginHostDeps): PluginHost {
  const host = new PluginHost({
    logger: deps.logger,
    dataDir: deps.config.dataDir,
    config: deps.config.plugins as PluginsConfig,
    bus: deps.bus,
  });
  registerPluginMethods(deps.control, host);
  return host;
}
