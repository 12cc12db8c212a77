import { readFileSync } from 'node:fs';
import { EARSHOT_GROUP_HINT } from '../earshot-group.js';
import { ConfigError, issuesFromAjv, type ConfigIssue } from './errors.js';
import { applyEnvOverrides } from './env.js';
import { crossFieldIssues } from './cross-field-checks.js';
import { socketPathLengthIssues } from './socket-path-length.js';
import { applyPlatformDefaults, namedPaths } from './platform-defaults.js';
import type { EarshotConfig } from './types.js';
import { configSchema } from './schema.js';
import { loadSetValidators, type ValidatorSet } from '../validation/precompiled.js';

export interface LoadConfigOptions {
  /** A JSON config file; undefined means "no file": schema defaults plus environment. */
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
}

/** config.schema.json's Ajv options: every error, defaults filled in, the schema node in each error (for its hints). */
export const CONFIG_VALIDATORS: ValidatorSet = { name: 'config', draft: '2020-12', options: { allErrors: true, useDefaults: true, strict: false, verbose: true } };

const validators = await loadSetValidators(CONFIG_VALIDATORS);

/** Reads the file, applies EARSHOT_* overrides, validates with every default filled in. */
export function loadConfig(options: LoadConfigOptions = {}): EarshotConfig {
  const source = options.file ?? '(defaults)';
  const raw = options.file === undefined ? {} : readConfigFile(options.file);
  return validateConfig(raw, source, options.env ?? {});
}

export function validateConfig(raw: unknown, source: string, env: NodeJS.ProcessEnv = {}, platform: NodeJS.Platform = process.platform): EarshotConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(source, [{ path: '(root)', message: 'must be a JSON object', hint: 'the file holds one object: { "siteId": "lab-1", ... }' }]);
  }
  // Work on a copy: ajv's useDefaults writes into the object it validates.
  const config = structuredClone(raw) as Record<string, unknown>;
  const schema = configSchema();
  const envIssues = applyEnvOverrides(config, schema, env);
  const named = namedPaths(config);
  const validate = validators.validator(schema);
  const ok = validate(config);
  if (ok) applyPlatformDefaults(config, named, platform);
  // Checks across fields run only on a config the schema accepts: they rely on its shape and defaults.
  const checked = ok ? [...crossFieldIssues(config), ...socketPathLengthIssues(config as unknown as EarshotConfig, platform)] : issuesFromAjv(validate.errors ?? []);
  const issues: ConfigIssue[] = [...envIssues, ...checked];
  if (issues.length > 0) throw new ConfigError(source, issues);
  return config as EarshotConfig;
}

/** Why a config file could not be read, and what to do about it, by the read's error code. */
function unreadable(code: string): { message: string; hint: string } {
  if (code === 'ENOENT') return { message: 'file not found', hint: 'create it, or pass --config with the right path' };
  if (code === 'EISDIR') return { message: 'is a directory, not a file', hint: 'name the config file itself, e.g. --config /etc/earshot/config.json' };
  // As installed, /etc/earshot is root:earshot 0750 and its config.json 0640: a deployer who
  // checks it with earshot config validate, not yet in the group, lands here.
  if (code === 'EACCES' || code === 'EPERM') return { message: `permission denied (${code})`, hint: `${EARSHOT_GROUP_HINT}, or let the user who runs this read the file and its folders` };
  return { message: `cannot be read (${code})`, hint: 'check its permissions' };
}

function readConfigFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [{ path: file, ...unreadable((err as NodeJS.ErrnoException).code ?? String(err)) }]);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new ConfigError(file, [{ path: file, message: `is not valid JSON: ${detail}`, hint: 'check for trailing commas and unquoted keys' }]);
  }
}
