import { readFileSync } from 'node:fs';
import { configSchemaPath } from '../paths.js';

export type JsonSchema = Record<string, unknown>;

let cachedSchema: JsonSchema | undefined;

/** config.schema.json, read once: the loader validates with it, and the scheduler's rules take its ranges. */
export function configSchema(): JsonSchema {
  cachedSchema ??= JSON.parse(readFileSync(configSchemaPath, 'utf8')) as JsonSchema;
  return cachedSchema;
}
