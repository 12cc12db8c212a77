import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { packageRoot } from '../paths.js';
import { MAX_JSON_DEPTH, nestedDeeperThan } from '../json-depth.js';

/** The published payload schemas, by file stem in `schemas/`. */
export const PAYLOAD_SCHEMAS = ['status', 'transcript', 'partial', 'telemetry', 'command', 'reply', 'job', 'job-claim', 'job-grant', 'job-done', 'carbon-reading', 'last-transcript'] as const;
export type PayloadSchemaName = (typeof PAYLOAD_SCHEMAS)[number];

/** The published payload schemas ship at the package root, next to config.schema.json. */
export const schemasDir = join(packageRoot, 'schemas');

/** RFC 3339 date-time, as JSON Schema's `format: date-time` means it (without pulling ajv-formats). */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

let compiled: Map<PayloadSchemaName, ValidateFunction> | null = null;

function validators(): Map<PayloadSchemaName, ValidateFunction> {
  if (compiled) return compiled;
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
  ajv.addFormat('date-time', (s: string) => DATE_TIME.test(s) && !Number.isNaN(Date.parse(s)));
  const map = new Map<PayloadSchemaName, ValidateFunction>();
  for (const name of PAYLOAD_SCHEMAS) {
    map.set(name, ajv.compile(JSON.parse(readFileSync(join(schemasDir, `${name}.schema.json`), 'utf8')) as object));
  }
  compiled = map;
  return map;
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
