import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { repoRoot } from '../../helpers/paths.js';
import type { MqttConfig } from '../../../daemon/mqtt/config.js';

const require = createRequire(import.meta.url);
// ajv's 2020 draft entry is CommonJS; createRequire keeps NodeNext typing simple.
const Ajv2020 = require('ajv/dist/2020').default as new (opts: object) => {
  compile(schema: object): ((data: unknown) => boolean) & { errors?: unknown };
};

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

/**
 * A full `mqtt` section as the config loader would hand it to the service: the given
 * overrides, with every other field taken from the defaults in the committed schema.
 */
export function mqttTestConfig(overrides: DeepPartial<MqttConfig> = {}): MqttConfig {
  const fragment = JSON.parse(readFileSync(join(repoRoot, 'schemas', 'config', 'mqtt.schema.json'), 'utf8')) as Record<string, unknown>;
  delete fragment.$schema;
  delete fragment.$id;
  const ajv = new Ajv2020({ useDefaults: true, allErrors: true });
  const validate = ajv.compile({ type: 'object', properties: { mqtt: fragment } });
  const doc = { mqtt: structuredClone(overrides) };
  if (!validate(doc)) throw new Error('test mqtt config invalid: ' + JSON.stringify(validate.errors));
  return doc.mqtt as MqttConfig;
}
