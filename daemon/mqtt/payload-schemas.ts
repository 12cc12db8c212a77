import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// ajv's draft 2020-12 entry point is CommonJS; its default export is the class.
const Ajv2020 = require('ajv/dist/2020').default as new (opts: object) => AjvLike;

interface AjvError {
  instancePath: string;
  message?: string;
}
type ValidateFn = ((data: unknown) => boolean) & { errors?: AjvError[] | null };
interface AjvLike {
  compile(schema: object): ValidateFn;
  addFormat(name: string, format: RegExp | ((s: string) => boolean)): unknown;
}

/** The published payload schemas, by file stem in `schemas/`. */
export const PAYLOAD_SCHEMAS = ['status', 'transcript', 'partial', 'telemetry', 'command', 'reply', 'job'] as const;
export type PayloadSchemaName = (typeof PAYLOAD_SCHEMAS)[number];

/** `schemas/` sits at the repository (package) root, above both `daemon/` and `dist/daemon/`. */
export function schemasDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'schemas', 'transcript.schema.json'))) return join(dir, 'schemas');
    const up = dirname(dir);
    if (up === dir) throw new Error(`schemas/transcript.schema.json not found above ${fileURLToPath(import.meta.url)}; the package is incomplete`);
    dir = up;
  }
}

/** RFC 3339 date-time, as JSON Schema's `format: date-time` means it (without pulling ajv-formats). */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

let compiled: Map<PayloadSchemaName, ValidateFn> | null = null;

function validators(): Map<PayloadSchemaName, ValidateFn> {
  if (compiled) return compiled;
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
  ajv.addFormat('date-time', (s: string) => DATE_TIME.test(s) && !Number.isNaN(Date.parse(s)));
  const dir = schemasDir();
  const map = new Map<PayloadSchemaName, ValidateFn>();
  for (const name of PAYLOAD_SCHEMAS) {
    map.set(name, ajv.compile(JSON.parse(readFileSync(join(dir, `${name}.schema.json`), 'utf8')) as object));
  }
  compiled = map;
  return map;
}

/** Problems of `value` against `schemas/<name>.schema.json`, as `path: message` lines; empty when valid. */
export function payloadErrors(name: PayloadSchemaName, value: unknown): string[] {
  const validate = validators().get(name)!;
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? 'invalid'}`);
}
