import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import semver from 'semver';
import { API_VERSION, isPluginDefinition, type PluginDefinition, type PluginInstance } from '@earshot/sdk';
import type { PluginManifest } from './manifest.js';
import { describeImportError } from './import-error.js';
import { provideSdkTo } from './sdk-resolution.js';
import type { PluginKind } from './types.js';

/**
 * Import a plugin's main module and check its default export is a definePlugin() result
 * built against a compatible SDK: the same major version, not newer than this host's.
 * @throws Error saying what is wrong and how to fix it
 */
export async function importDefinition(manifest: PluginManifest): Promise<PluginDefinition<unknown>> {
  if (!existsSync(manifest.main)) {
    throw new Error(`plugin ${manifest.name}: its main module ${manifest.main} does not exist; build the plugin (\`npm run build\`) or fix "main"/"exports" in its package.json`);
  }
  let mod: { default?: unknown };
  try {
    provideSdkTo(manifest.main);
    mod = (await import(pathToFileURL(manifest.main).href)) as { default?: unknown };
  } catch (err) {
    throw new Error(`plugin ${manifest.name}: cannot import ${manifest.main} (${describeImportError(err)})`);
  }
  const definition = mod.default;
  if (!isPluginDefinition(definition)) {
    throw new Error(`plugin ${manifest.name}: ${manifest.main} has no default export made by definePlugin(); write \`export default definePlugin({ create(ctx) { ... } })\``);
  }
  const built = semver.valid(definition.apiVersion);
  if (built === null || semver.major(built) !== semver.major(API_VERSION) || semver.gt(built, API_VERSION)) {
    throw new Error(`plugin ${manifest.name} was built against plugin SDK ${definition.apiVersion}; this daemon provides ${API_VERSION}; rebuild the plugin against @earshot/sdk ${API_VERSION} or upgrade earshot`);
  }
  return definition;
}

/**
 * The kinds a created instance provides.
 * @throws Error when the instance provides none or a kind lacks its method
 */
export function instanceKinds(name: string, instance: unknown): PluginKind[] {
  if (typeof instance !== 'object' || instance === null) {
    throw new Error(`plugin ${name}: create() returned ${instance === null ? 'null' : typeof instance}, expected { hotwordProvider?, normalizer?, filter?, stop? }`);
  }
  const i = instance as PluginInstance;
  const kinds: PluginKind[] = [];
  const need = (present: unknown, method: string, kind: PluginKind, field: string): void => {
    if (present === undefined) return;
    if (typeof (present as Record<string, unknown>)[method] !== 'function') {
      throw new Error(`plugin ${name}: create() returned a ${field} without a ${method}() function`);
    }
    kinds.push(kind);
  };
  need(i.hotwordProvider, 'hotwords', 'hotwords', 'hotwordProvider');
  need(i.normalizer, 'normalize', 'normalizer', 'normalizer');
  need(i.filter, 'filter', 'filter', 'filter');
  if (kinds.length === 0) throw new Error(`plugin ${name}: create() returned no hotwordProvider, normalizer or filter; it has nothing to do`);
  if (i.stop !== undefined && typeof i.stop !== 'function') throw new Error(`plugin ${name}: create() returned a "stop" that is not a function`);
  return kinds;
}
