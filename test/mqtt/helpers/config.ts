import { validateConfig } from '../../../daemon/config/load.js';
import type { MqttConfig } from '../../../daemon/mqtt/config.js';

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

/**
 * A full `mqtt` section as the config loader hands it to the service: the given overrides,
 * validated and completed with the defaults of config.schema.json by the real loader.
 * `otherSections` are what the mqtt settings are checked against (the sources Hermes names).
 */
export function mqttTestConfig(overrides: DeepPartial<MqttConfig> = {}, otherSections: Record<string, unknown> = {}): MqttConfig {
  return validateConfig({ ...otherSections, mqtt: overrides }, 'test').mqtt as unknown as MqttConfig;
}
