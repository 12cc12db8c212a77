import type { Logger } from '../../log/logger.js';
import type { CarbonSource } from './types.js';
import { StaticCarbonSource } from './static-source.js';
import { ScheduleCarbonSource, type ScheduleWindow } from './schedule-source.js';
import { FileCarbonSource } from './file-source.js';
import { MqttCarbonSource, type Subscribe } from './mqtt-source.js';
import { HttpCarbonSource } from './http-source.js';
import { loadCommandKey } from '../../mqtt/commands/command-key.js';
import { ElectricityMapsProvider, UkGridProvider } from './providers.js';

/** `scheduler.carbon` in config.json (defaults live in config.schema.json). */
export interface CarbonConfig {
  source: 'static' | 'schedule' | 'file' | 'mqtt' | 'uk-grid' | 'electricity-maps';
  /** The intensity used by `static` and as every other source's fallback, gCO2e/kWh. */
  staticGPerKWh: number;
  schedule: ScheduleWindow[];
  scheduleUtc: boolean;
  file: string | null;
  mqttTopic: string;
  /** Shared HMAC key for source mqtt: only readings signed with it are taken (null: any). */
  mqttKeyFile: string | null;
  http: {
    /** UK: DNO region id 1–17 (null = national); Electricity Maps: zone key, e.g. "DE". */
    region: string | null;
    token: string | null;
    baseUrl: string | null;
    timeoutMs: number;
  };
  refreshMinutes: number;
  /** Values older than this are reported stale (and the last good one is kept). */
  maxAgeMinutes: number;
}

export interface CarbonDeps {
  logger: Logger;
  /** The daemon's MQTT subscribe, needed for source "mqtt". */
  subscribe?: Subscribe;
  fetch?: typeof fetch;
}

/** Builds the configured source; throws a `scheduler.carbon.*: ...` message on a bad config. */
export function createCarbonSource(config: CarbonConfig, deps: CarbonDeps): CarbonSource {
  const refreshMs = config.refreshMinutes * 60_000;
  const maxAgeMs = config.maxAgeMinutes * 60_000;
  switch (config.source) {
    case 'static':
      return new StaticCarbonSource(config.staticGPerKWh);
    case 'schedule':
      return new ScheduleCarbonSource(config.schedule, config.staticGPerKWh, config.scheduleUtc);
    case 'file':
      if (!config.file) throw new Error('scheduler.carbon.file: source "file" needs the path of a CSV or JSON forecast file');
      return new FileCarbonSource({ path: config.file, staticDefault: config.staticGPerKWh, refreshMs, logger: deps.logger });
    case 'mqtt': {
      if (!deps.subscribe) throw new Error('scheduler.carbon.source "mqtt" needs the daemon MQTT client; check the mqtt section');
      const key = config.mqttKeyFile ? loadCommandKey(config.mqttKeyFile, { setting: 'scheduler.carbon.mqttKeyFile' }) : null;
      return new MqttCarbonSource({ topic: config.mqttTopic, subscribe: deps.subscribe, staticDefault: config.staticGPerKWh, maxAgeMs, key, logger: deps.logger });
    }
    case 'uk-grid': {
      const region = config.http.region === null ? undefined : Number(config.http.region);
      if (region !== undefined && !(Number.isInteger(region) && region >= 1 && region <= 17)) {
        throw new Error(`scheduler.carbon.http.region: UK regions are ids 1–17 (or null for national), got ${JSON.stringify(config.http.region)}`);
      }
      const provider = new UkGridProvider(config.http.baseUrl ?? undefined, region);
      return new HttpCarbonSource({ provider, staticDefault: config.staticGPerKWh, refreshMs, timeoutMs: config.http.timeoutMs, maxAgeMs, logger: deps.logger, ...(deps.fetch ? { fetch: deps.fetch } : {}) });
    }
    case 'electricity-maps': {
      if (!config.http.token) throw new Error('scheduler.carbon.http.token: Electricity Maps needs an API token (get one at electricitymaps.com)');
      if (!config.http.region) throw new Error('scheduler.carbon.http.region: Electricity Maps needs a zone key such as "DE" or "GB"');
      const provider = new ElectricityMapsProvider(config.http.region, config.http.token, config.http.baseUrl ?? undefined);
      return new HttpCarbonSource({ provider, staticDefault: config.staticGPerKWh, refreshMs, timeoutMs: config.http.timeoutMs, maxAgeMs, logger: deps.logger, ...(deps.fetch ? { fetch: deps.fetch } : {}) });
    }
    default:
      throw new Error(`scheduler.carbon.source: unknown source ${JSON.stringify((config as { source: unknown }).source)}; use static, schedule, file, mqtt, uk-grid or electricity-maps`);
  }
}
