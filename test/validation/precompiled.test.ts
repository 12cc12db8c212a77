import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnySchema, ValidateFunction } from 'ajv';
import { loadSetValidators, newAjv, precompiledDir } from '../../daemon/validation/precompiled.js';
import { precompiledSchemas } from '../../scripts/precompiled-schemas.js';

/**
 * The validators npm run build generates (scripts/compile-schemas.ts) must be those of the
 * schemas as they are now, and must answer exactly as Ajv compiling the schema at run time
 * does: the same verdict, the same errors (with the schema nodes the config's hints are read
 * from), the same defaults filled in.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Values of every kind, most of them wrong for any one field. */
const ODD_VALUES: Json[] = [null, true, 0, -1, 1.5, 1e12, '', 'x', '2026-11-26T17:00:00Z', [], ['x'], [{}], {}, { unknownKey: 1 }];

/** Where a value can go in an instance of `schema`: a property path, with '[]' for an array's items. */
function paths(schema: unknown, prefix: string[] = [], depth = 0, out: string[][] = []): string[][] {
  if (typeof schema !== 'object' || schema === null || depth > 8) return out;
  const node = schema as Record<string, unknown>;
  for (const [key, sub] of Object.entries((node.properties ?? {}) as Record<string, unknown>)) {
    out.push([...prefix, key]);
    paths(sub, [...prefix, key], depth + 1, out);
  }
  if (node.items) paths(node.items, [...prefix, '[]'], depth + 1, out);
  for (const branch of ['oneOf', 'anyOf', 'allOf'] as const) for (const sub of (node[branch] ?? []) as unknown[]) paths(sub, prefix, depth + 1, out);
  for (const branch of ['then', 'else'] as const) paths(node[branch], prefix, depth + 1, out);
  return out;
}

/** `value` placed at `path` in an otherwise empty instance. */
function placed(path: string[], value: Json): Json {
  const [head, ...rest] = path;
  if (head === undefined) return value;
  const inner = placed(rest, value);
  return head === '[]' ? [inner] : { [head]: inner };
}

/** Instances that reach every field of the schema with every odd value, and the schema's own defaults and examples. */
function corpus(schema: AnySchema): Json[] {
  const cases: Json[] = [...ODD_VALUES];
  for (const path of paths(schema)) for (const value of ODD_VALUES) cases.push(placed(path, value));
  const walk = (node: unknown): void => {
    if (typeof node !== 'object' || node === null) return;
    const n = node as Record<string, unknown>;
    for (const example of [...((n.examples ?? []) as Json[]), ...(n.default !== undefined ? [n.default as Json] : [])]) if (typeof example === 'object' && example !== null) cases.push(example);
    for (const value of Object.values(n)) walk(value);
  };
  walk(schema);
  return cases;
}

/** What a validator makes of `input`: its verdict, its errors and the input as it leaves it (defaults filled in). */
function answer(validate: ValidateFunction, input: Json): string {
  const data = structuredClone(input);
  const valid = validate(data);
  return JSON.stringify({ valid, errors: validate.errors ?? null, data });
}

for (const { set, schemas } of precompiledSchemas()) {
  t.test(`${set.name}: the build's validators are those of the schemas as they are now`, async (t) => {
    const built = await loadSetValidators(set);
    for (const schema of schemas) {
      const title = (schema as { title?: string; $id?: string }).$id ?? (schema as { title?: string }).title ?? JSON.stringify(schema).slice(0, 80);
      if (!t.ok(built.isPrecompiled(schema), `${title} is in dist/precompiled-validators/${set.name}.js (run npm run build after changing a schema)`)) continue;
      const precompiled = built.validator(schema);
      const atRunTime = newAjv(set).compile(schema);
      t.not(precompiled, atRunTime);
      const inputs = corpus(schema);
      const differing = inputs.filter((input) => answer(precompiled, input) !== answer(atRunTime, input));
      t.same(differing.slice(0, 3), [], `${title}: ${inputs.length} inputs answered alike`);
    }
  });
}

t.test('a schema edited since the build is compiled at run time, never matched to the old code', async (t) => {
  const { set, schemas } = precompiledSchemas().find((p) => p.set.name === 'config')!;
  const built = await loadSetValidators(set);
  const edited = structuredClone(schemas[0]) as { properties: { siteId: { default?: unknown } } };
  edited.properties.siteId.default = 'edited-since-the-build';
  t.notOk(built.isPrecompiled(edited as AnySchema));
  const config: Record<string, unknown> = {};
  t.ok(built.validator(edited as AnySchema)(config));
  t.equal(config.siteId, 'edited-since-the-build', 'the edited default is filled in');
});

t.test('code built with other Ajv options is not used for a set whose options changed since', async (t) => {
  const { set, schemas } = precompiledSchemas().find((p) => p.set.name === 'config')!;
  const changed = await loadSetValidators({ ...set, options: { ...set.options, useDefaults: false } });
  t.ok((await loadSetValidators(set)).isPrecompiled(schemas[0]!));
  t.notOk(changed.isPrecompiled(schemas[0]!));
  const config: Record<string, unknown> = {};
  t.ok(changed.validator(schemas[0]!)(config));
  t.same(config, {}, 'no defaults filled in, as the changed options say');
});

t.test('a generated module that cannot be loaded (cut short by a copy) is said, and its schemas are compiled at run time', async (t) => {
  const { set, schemas } = precompiledSchemas().find((p) => p.set.name === 'config')!;
  const dir = mkdtempSync(join(tmpdir(), 'earshot-precompiled-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, `${set.name}.js`), readFileSync(join(precompiledDir, `${set.name}.js`), 'utf8').slice(0, 5000));
  const warnings: string[] = [];
  const onWarning = (w: Error): void => void warnings.push(w.message);
  process.on('warning', onWarning);
  t.teardown(() => void process.off('warning', onWarning));
  const built = await loadSetValidators(set, dir);
  await new Promise((r) => setImmediate(r));
  const file = join(dir, `${set.name}.js`);
  // What the error says depends on the loader (a SyntaxError under node, another under tap's TS loader).
  t.ok(warnings.some((w) => w.startsWith(`${file} cannot be loaded (`) && w.endsWith('): its schemas are compiled at run time instead; npm run build writes it again')), warnings.join('\n'));
  t.notOk(built.isPrecompiled(schemas[0]!));
  const config: Record<string, unknown> = {};
  t.ok(built.validator(schemas[0]!)(config), 'the config is still checked');
  t.equal(config.siteId, 'earshot', 'with its defaults');
});
