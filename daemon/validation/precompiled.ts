import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AnySchema, Format, Options, ValidateFunction } from 'ajv';
import { packageRoot } from '../paths.js';

/**
 * A family of JSON Schemas checked with the same Ajv options (the config, the control
 * methods' params, the MQTT payloads, built-in plugins' configs). `npm run build` compiles
 * the ones it knows into one module per family (scripts/compile-schemas.ts), so that a start
 * does not spend a few hundred ms compiling them; a schema it did not see is compiled at run time.
 */
export interface ValidatorSet {
  /** The generated module's name: dist/precompiled-validators/<name>.js. */
  name: string;
  draft: '2020-12' | 'draft-07';
  options: Options;
  /**
   * Custom formats: `module` (a path under dist/, say daemon/mqtt/date-time-format.js) exports
   * them as `formats`, for the generated code to import; `values` are the same, for run time.
   */
  formats?: { module: string; values: Record<string, Format> };
}

export const precompiledDir = join(packageRoot, 'dist', 'precompiled-validators');

/**
 * A schema's identity in a generated module: the sha256 of its JSON and of all else the code
 * depends on (the set's draft, options and formats, Ajv's version), so that code generated
 * before a schema, an option or Ajv changed is never used for the new one.
 */
export function schemaKey(set: ValidatorSet, schema: AnySchema): string {
  const formats = Object.entries(set.formats?.values ?? {}).map(([name, format]) => [name, String(format)]);
  const made = JSON.stringify([ajvVersion(), set.draft, set.options, formats]);
  return `v${createHash('sha256').update(made).update(JSON.stringify(schema)).digest('hex')}`;
}

// Ajv (about 130 ms to import on a slow box) is CommonJS: required on first use, only when a
// schema was not compiled by the build (a third-party plugin's, or a build by tsc -b alone).
const require = createRequire(import.meta.url);

let installedAjv: string | undefined;

/** The installed Ajv's version (its package.json, read once: Ajv itself is not loaded for it). */
function ajvVersion(): string {
  installedAjv ??= (require('ajv/package.json') as { version: string }).version;
  return installedAjv;
}

/** A new Ajv for the set, with `extra` options (the build adds code generation). */
export function newAjv(set: ValidatorSet, extra: Options = {}): import('ajv').Ajv {
  const AjvClass = set.draft === '2020-12' ? (require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js')).Ajv2020 : (require('ajv') as typeof import('ajv')).Ajv;
  const ajv = new AjvClass({ ...set.options, ...extra });
  for (const [name, format] of Object.entries(set.formats?.values ?? {})) ajv.addFormat(name, format);
  return ajv;
}

/** The validators of one set: the build's where it compiled the very same schema, else compiled now. */
export class SetValidators {
  private readonly known = new Map<string, ValidateFunction>();

  constructor(
    private readonly set: ValidatorSet,
    private readonly precompiled: Readonly<Record<string, unknown>>,
  ) {}

  /** Each schema is compiled at most once per process, and not at all when the build did it. */
  validator(schema: AnySchema): ValidateFunction {
    const key = schemaKey(this.set, schema);
    let validate = this.known.get(key) ?? this.precompiledOf(key);
    // An Ajv of its own, as before there was a build step: two plugins' schemas with the same
    // $id must not clash ("schema with key or id already exists").
    validate ??= newAjv(this.set).compile(schema);
    this.known.set(key, validate);
    return validate;
  }

  /** Whether the build compiled this schema (a test holds the build to every schema it knows). */
  isPrecompiled(schema: AnySchema): boolean {
    return this.precompiledOf(schemaKey(this.set, schema)) !== undefined;
  }

  private precompiledOf(key: string): ValidateFunction | undefined {
    const value = this.precompiled[key];
    return typeof value === 'function' ? (value as ValidateFunction) : undefined;
  }
}

/**
 * The set's validators, with its generated module when the build wrote one; without it
 * (tsc -b alone, or `npm run clean`) every schema is compiled at run time, as before. One
 * that cannot be loaded (cut short by a copy, unreadable) is only a slower start: said, and
 * its schemas compiled at run time. Thrown, it stopped every module that imports a set (the
 * daemon, each CLI command that reads the config, and the build that would write it again).
 */
export async function loadSetValidators(set: ValidatorSet, dir = precompiledDir): Promise<SetValidators> {
  // Looked for, not imported and caught: a TS loader under test reports a missing module without its code.
  const file = join(dir, `${set.name}.js`);
  if (!existsSync(file)) return new SetValidators(set, {});
  try {
    return new SetValidators(set, (await import(pathToFileURL(file).href)) as Record<string, unknown>);
  } catch (err) {
    process.emitWarning(`${file} cannot be loaded (${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}): its schemas are compiled at run time instead; npm run build writes it again`, 'EarshotPrecompiledValidators');
    return new SetValidators(set, {});
  }
}
