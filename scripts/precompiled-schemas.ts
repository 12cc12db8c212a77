import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AnySchema } from 'ajv';
import { packageRoot } from '../daemon/paths.js';
import { CONFIG_VALIDATORS } from '../daemon/config/load.js';
import { configSchema } from '../daemon/config/schema.js';
import { CONTROL_PARAMS_VALIDATORS } from '../daemon/control/server.js';
import { SCHEDULER_METHOD_PARAMS } from '../daemon/scheduler/control-handlers.js';
import { PLUGIN_METHOD_PARAMS } from '../daemon/plugins/control-methods.js';
import { OFFER_PARAMS } from '../daemon/pipeline/fleet-bridge.js';
import { SELECTION_PARAMS } from '../daemon/mqtt/outbox/rejected-shelf.js';
import { PAYLOAD_SCHEMAS, PAYLOAD_VALIDATORS, payloadSchema } from '../daemon/mqtt/payload-schemas.js';
import { PLUGIN_CONFIG_VALIDATORS, pluginSchemaDraft } from '../daemon/plugins/config-validation.js';
import type { ValidatorSet } from '../daemon/validation/precompiled.js';

/** A set of validators and the schemas the build compiles for it. */
export interface PrecompiledSet {
  set: ValidatorSet;
  schemas: AnySchema[];
}

/** The built-in plugins' config schemas (plugins/<name>/package.json "earshot.configSchema"). */
function builtInPluginSchemas(): Record<string, unknown>[] {
  const dir = join(packageRoot, 'plugins');
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((entry) => {
      const pkg = JSON.parse(readFileSync(join(dir, entry.name, 'package.json'), 'utf8')) as { earshot?: { configSchema?: string } };
      const file = pkg.earshot?.configSchema;
      return file === undefined ? [] : [JSON.parse(readFileSync(join(dir, entry.name, file), 'utf8')) as Record<string, unknown>];
    });
}

/**
 * Every schema known when the daemon is built, by set. A control method whose params schema
 * is not listed here still works: its schema is compiled when the daemon registers it.
 */
export function precompiledSchemas(): PrecompiledSet[] {
  const controlParams = [...Object.values(SCHEDULER_METHOD_PARAMS), ...Object.values(PLUGIN_METHOD_PARAMS), OFFER_PARAMS, SELECTION_PARAMS];
  const plugins = builtInPluginSchemas();
  return [
    { set: CONFIG_VALIDATORS, schemas: [configSchema()] },
    { set: CONTROL_PARAMS_VALIDATORS, schemas: controlParams.filter((schema) => schema !== undefined) },
    { set: PAYLOAD_VALIDATORS, schemas: PAYLOAD_SCHEMAS.map(payloadSchema) },
    ...(['2020-12', 'draft-07'] as const).map((draft) => ({ set: PLUGIN_CONFIG_VALIDATORS[draft], schemas: plugins.filter((schema) => pluginSchemaDraft(schema) === draft) })),
  ];
}
