import { readFileSync } from 'node:fs';
import type { AnySchema, Options } from 'ajv';
import { childPath, formatIssue, issuesFromAjv, pathUnder, type ConfigIssue } from '../config/errors.js';
import { loadSetValidators, type ValidatorSet } from '../validation/precompiled.js';
import type { PluginManifest } from './manifest.js';

/** A plugin's config section that its schema refuses, with each problem under `plugins.config.<alias>`. */
export class PluginConfigError extends Error {
  override readonly name = 'PluginConfigError';

  constructor(
    plugin: string,
    readonly issues: ConfigIssue[],
  ) {
    super(`invalid config for plugin ${plugin}: ${issues.map(formatIssue).join('; ')}`);
  }
}

const options: Options = { allErrors: true, useDefaults: true, strict: false, verbose: true };

/**
 * Plugins' config schemas, by the draft they declare. The build compiles the built-in
 * plugins' (scripts/compile-schemas.ts); a third-party plugin's is compiled at its load.
 */
export const PLUGIN_CONFIG_VALIDATORS: Record<'2020-12' | 'draft-07', ValidatorSet> = {
  '2020-12': { name: 'plugin-config-2020-12', draft: '2020-12', options },
  'draft-07': { name: 'plugin-config-draft-07', draft: 'draft-07', options },
};

const validators = {
  '2020-12': await loadSetValidators(PLUGIN_CONFIG_VALIDATORS['2020-12']),
  'draft-07': await loadSetValidators(PLUGIN_CONFIG_VALIDATORS['draft-07']),
};

/** The draft a plugin's config schema is written in: 2020-12 when its $schema says so, else draft-07. */
export function pluginSchemaDraft(schema: Record<string, unknown>): '2020-12' | 'draft-07' {
  return typeof schema.$schema === 'string' && schema.$schema.includes('2020-12') ? '2020-12' : 'draft-07';
}

/**
 * Validate a plugin's config section against the JSON Schema the plugin ships, with the
 * schema's defaults filled in (on a copy). Draft 2020-12 when the schema says so, else draft-07.
 * @returns the config to hand the plugin
 * @throws Error whose message names each problem as `plugins.config.<name>.<path>: message`,
 *   joined by '; ' (it goes into one log line and `earshot plugins list`)
 */
export function validatePluginConfig(manifest: PluginManifest, raw: unknown): Record<string, unknown> {
  const config = structuredClone(raw ?? {}) as Record<string, unknown>;
  if (manifest.configSchema === undefined) {
    if (typeof raw === 'object' && raw !== null && Object.keys(raw).length > 0) {
      throw new PluginConfigError(manifest.name, [{ path: childPath('plugins.config', manifest.alias), message: 'takes no config (the plugin ships no "earshot.configSchema"); remove the section' }]);
    }
    return config;
  }
  let schema: Record<string, unknown>;
  try {
    schema = JSON.parse(readFileSync(manifest.configSchema, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`plugin ${manifest.name}: its config schema ${manifest.configSchema} cannot be read (${(err as Error).message}); reinstall the plugin`);
  }
  let validate;
  try {
    validate = validators[pluginSchemaDraft(schema)].validator(schema as AnySchema);
  } catch (err) {
    throw new Error(`plugin ${manifest.name}: its config schema ${manifest.configSchema} is not a valid JSON Schema (${(err as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    if (raw !== undefined && raw !== null) throw new PluginConfigError(manifest.name, [{ path: childPath('plugins.config', manifest.alias), message: 'must be an object' }]);
  }
  if (validate(config)) return config;
  const prefix = childPath('plugins.config', manifest.alias);
  const issues = issuesFromAjv(validate.errors ?? []).map((issue) => ({ ...issue, path: pathUnder(prefix, issue.path) }));
  throw new PluginConfigError(manifest.name, issues);
}
