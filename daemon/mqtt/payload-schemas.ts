import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ValidateFunction } from 'ajv';
import { packageRoot } from '../paths.js';
import { MAX_JSON_DEPTH, nestedDeeperThan } from '../json-depth.js';
import { loadSetValidators, type ValidatorSet } from '../validation/precompiled.js';
import { formats } from './date-time-format.js';

/** The published payload schemas, by file stem in `schemas/`. */
export const PAYLOAD_SCHEMAS = ['status', 'transcript', 'partial', 'telemetry', 'command', 'reply', 'job', 'job-claim', 'job-grant', 'job-done', 'carbon-reading', 'last-transcript'] as const;
export type PayloadSchemaName = (typeof PAYLOAD_SCHEMAS)[number];

/** The published payload schemas ship at the package root, next to config.schema.json. */
export const schemasDir = join(packageRoot, 'schemas');

/** The payload schemas' Ajv options: strict, so that a mistyped keyword in schemas/ is an error, not ignored. */
export const PAYLOAD_VALIDATORS: ValidatorSet = {
  name: 'payloads',
  draft: '2020-12',
  options: { allErrors: true, strict: true, strictRequired: false },
  formats: { module: 'daemon/mqtt/date-time-format.js', values: formats },
};

const setValidators = await loadSetValidators(PAYLOAD_VALIDATORS);

/** The published schema of a payload, as schemas/<name>.schema.json holds it. */
export function payloadSchema(name: PayloadSchemaName): object {
  return JSON.parse(readFileSync(join(schemasDir, `${name}.schema.json`), 'utf8')) as object;
}

let compiled: Map<PayloadSchemaName, ValidateFunction> | null = null;

function validators(): Map<PayloadSchemaName, ValidateFunction> {
  compiled ??= new Map(PAYLOAD_SCHEMAS.map((name) => [name, setValidators.validator(payloadSchema(name))]));
  return compiled;
}

/**
 * Problems of `value` against `schemas/<name>.schema.json`, as `path: message` lines; empty
 * when valid. A value nested deeper than any of ours is refused first, whatever its schema
 * leaves open (command params, a fleet job), so nothing that walks a valid payload
 * recursively (signature checks) can be made to exhaust the stack.
 */
export function payloadErrors(name: PayloadSchemaName, value: unknown): string[] {
  if (nestedDeeperThan(value, MAX_JSON_DEPTH)) return [`/: nested deeper than ${MAX_JSON_DEPTH} levels`];
  const validate = validators().get(name)!;
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? 'invalid'}`);
}

/**
 * A received message as its schema says, or why not: "not JSON", or the first schema
 * problems. For messages from the broker, which anyone allowed on the topic can send.
 */
export function readPayload<T>(name: PayloadSchemaName, raw: Buffer): { value: T } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch {
    return { problem: 'not JSON' };
  }
  const errors = payloadErrors(name, value);
  return errors.length === 0 ? { value: value as T } : { problem: errors.slice(0, 3).join('; ') };
}
