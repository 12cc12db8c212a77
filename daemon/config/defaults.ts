import { validateConfig } from './load.js';
import type { EarshotConfig } from './types.js';

let cached: EarshotConfig | undefined;

/**
 * The whole config with nothing set: every value comes from config.schema.json. Library
 * callers without a config file (the CLI's one-off commands, benches) take their defaults
 * from here, so the schema stays the only place a default is written.
 */
export function schemaDefaults(): EarshotConfig {
  cached ??= validateConfig({}, '(schema defaults)');
  return structuredClone(cached);
}
