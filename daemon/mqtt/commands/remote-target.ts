import { existsSync } from 'node:fs';
import { loadConfig } from '../../config/load.js';
import type { MqttConfig } from '../config.js';
import { configuredBrokerUrl } from '../connection-check.js';
import { loadCommandKey } from './command-key.js';
import { callRemote } from './remote-client.js';

/** Where a CLI command runs when given `--site`: a remote daemon reached through a broker. */
export interface RemoteTarget {
  site: string;
  /** Broker URL; default: `mqtt.url` of the config (or the embedded broker address). */
  broker?: string | undefined;
  /** The shared command key (chmod 600). */
  keyFile: string;
  /** Config file for broker TLS material and credentials; default /etc/earshot/config.json when present. */
  configFile?: string | undefined;
  timeoutMs?: number;
}

const DEFAULT_CONFIG_FILE = '/etc/earshot/config.json';

/**
 * `requestDaemon` for a remote site: the same control method and params, carried as a
 * signed MQTT command. Throws RemoteCommandError (with the remote error code) or a config error.
 */
export async function requestRemoteDaemon(method: string, params: Record<string, unknown>, target: RemoteTarget): Promise<unknown> {
  const file = target.configFile ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
  const mqtt = loadConfig({ file, env: process.env }).mqtt as unknown as MqttConfig;
  // The operator's copy of the key need not belong to the daemon's user, but must stay private.
  const key = loadCommandKey(target.keyFile, { checkOwner: false });
  const brokerUrl = target.broker ?? configuredBrokerUrl(mqtt);
  // MQTT 3.1.1 for this short-lived client: every broker speaks it, the embedded one included.
  return callRemote(method, params, { config: { ...mqtt, url: brokerUrl, protocolVersion: 4 }, brokerUrl, siteId: target.site, key, timeoutMs: target.timeoutMs ?? 10_000 });
}
