import { readFileSync } from 'node:fs';
import { ConfigFileError } from '../config/errors.js';
import type { IClientOptions } from 'mqtt';
import type { MqttConfig } from './config.js';

/** What the broker publishes for a client that vanishes without a DISCONNECT. */
export interface LastWill {
  topic: string;
  payload: string;
  qos: 0 | 1;
  retain: boolean;
}

export interface ClientOptionsInput {
  config: MqttConfig;
  /** URL to connect to: `config.url`, or the embedded broker's address. */
  url: string;
  clientId: string;
  will?: LastWill;
  /** MQTT 5 connect properties (e.g. receiveMaximum for fleet workers). */
  properties?: IClientOptions['properties'];
}

/** The config as used to connect: the embedded broker (aedes 1.x) speaks MQTT 3.1.1 only. */
export function effectiveConfig(config: MqttConfig): MqttConfig {
  return config.url === null ? { ...config, protocolVersion: 4 } : config;
}

/** The stable client id: configured, or derived from the site so restarts resume the session. */
export function defaultClientId(config: MqttConfig, siteId: string, suffix = ''): string {
  return (config.clientId ?? `earshot-${siteId}`) + suffix;
}

function readConfigFile(what: string, key: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigFileError(`mqtt.${key}: cannot read ${what} ${path}: ${(err as Error).message}; fix the path or the file permissions`);
  }
}

/**
 * MQTT.js options from the config: TLS material and the password are read from their files
 * here (so a bad path fails at start with the config key named), clean session is off so the
 * broker keeps our QoS 1 session across reconnects, and reconnects start at the backoff floor.
 */
export function buildClientOptions(input: ClientOptionsInput): IClientOptions {
  const { config } = input;
  const options: IClientOptions = {
    clientId: input.clientId,
    protocolVersion: config.protocolVersion,
    clean: false,
    keepalive: config.keepaliveSec,
    connectTimeout: config.connectTimeoutMs,
    reconnectPeriod: config.reconnect.minDelayMs,
    // A refused CONNACK (bad password) is retried with backoff too: the broker side may be fixed.
    reconnectOnConnackError: true,
    // We resubscribe ourselves; the broker keeps the session anyway with clean off.
    resubscribe: true,
    // QoS 0 while offline (partials, telemetry) is stale by the time we reconnect.
    queueQoSZero: false,
  };
  if (config.protocolVersion === 5) {
    // Keep the session (and our queued QoS 1 messages) for a day across disconnects.
    options.properties = { sessionExpiryInterval: 86400, ...input.properties };
  }
  if (config.username !== null) options.username = config.username;
  if (config.passwordFile !== null) {
    const text = readConfigFile('password file', 'passwordFile', config.passwordFile).toString('utf8');
    options.password = text.split(/\r?\n/)[0] ?? '';
  }
  if (input.url.startsWith('mqtts:')) {
    options.rejectUnauthorized = config.tls.rejectUnauthorized;
    if (config.tls.ca) options.ca = readConfigFile('CA certificate', 'tls.ca', config.tls.ca);
    if (config.tls.cert) options.cert = readConfigFile('client certificate', 'tls.cert', config.tls.cert);
    if (config.tls.key) options.key = readConfigFile('client key', 'tls.key', config.tls.key);
  }
  if (input.will) options.will = { ...input.will };
  return options;
}
