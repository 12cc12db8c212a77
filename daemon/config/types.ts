import type { LogLevel } from '../log/logger.js';
import type { MqttConfig } from '../mqtt/config.js';

/**
 * The validated configuration, after ajv has filled in every default from
 * config.schema.json. Defaults are never written here: this only names the shape.
 */
export interface ControlConfig {
  socket: string;
  mode: string;
  maxRequestBytes: number;
  requestTimeoutMs: number;
  maxConnections: number;
}

export interface LogConfig {
  level: LogLevel;
  format: 'text' | 'json';
}

export interface EarshotConfig {
  siteId: string;
  dataDir: string;
  control: ControlConfig;
  log: LogConfig;
  /** Sections owned by the services; each service types its own section. */
  mqtt: MqttConfig;
  [section: string]: unknown;
}
