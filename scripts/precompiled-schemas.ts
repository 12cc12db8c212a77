import type { AnySchema } from 'ajv';
import { CONFIG_VALIDATORS } from '../daemon/config/load.js';
import { configSchema } from '../daemon/config/schema.js';
import type { ValidatorSet } from '../daemon/validation/precompiled.js';

/** A set of validators and the schemas the build compiles for it. */
export interface PrecompiledSet {
  set: ValidatorSet;
  schemas: AnySchema[];
}

/** Every schema known when the daemon is built, by set. */
export function precompiledSchemas(): PrecompiledSet[] {
  return [{ set: CONFIG_VALIDATORS, schemas: [configSchema()] }];
}
