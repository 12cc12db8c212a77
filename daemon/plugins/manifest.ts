import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import semver from 'semver';
import { API_VERSION } from '@earshot/sdk';

/** The npm keyword that marks a package as an Earshot plugin. */
export const PLUGIN_KEYWORD = 'earshot-plugin';

/** What the host needs from a plugin's package.json. */
export interface PluginManifest {
  name: string;
  alias: string;
  version: string;
  description: string;
  /** The package directory. */
  dir: string;
  /** Absolute path of the module to import. */
  main: string;
  /** The `engines.earshot` semver range. */
  engines: string;
  /** Absolute path of the config JSON Schema, when the plugin ships one. */
  configSchema?: string;
}

/** A plugin package.json that cannot be used; `message` says what and how to fix it. */
export class ManifestError extends Error {
  constructor(
    readonly dir: string,
    message: string,
  ) {
    super(message);
    this.name = 'ManifestError';
  }
}

interface RawManifest {
  name?: unknown;
  version?: unknown;
  description?: unknown;
  keywords?: unknown;
  main?: unknown;
  exports?: unknown;
  engines?: { earshot?: unknown };
  earshot?: { configSchema?: unknown };
}

/** npm package names: optional scope, lowercase URL-safe characters, no leading dot. */
const NPM_NAME = /^(@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;

/** The short name used by the CLI and config: `@earshot/plugin-itn-en` → `itn-en`. */
export function pluginAlias(name: string): string {
  return name.replace(/^@[^/]+\//, '').replace(/^(earshot-)?plugin-/, '');
}

/** Read a package.json; undefined when there is none or it is not an Earshot plugin. */
export function readPackageJson(dir: string): RawManifest | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, 'package.json'), 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as RawManifest;
  } catch (err) {
    throw new ManifestError(dir, `${join(dir, 'package.json')} is not valid JSON (${(err as Error).message}); fix the file`);
  }
}

export function isPluginPackage(raw: RawManifest | undefined): boolean {
  return Array.isArray(raw?.keywords) && raw.keywords.includes(PLUGIN_KEYWORD);
}

/** The ESM entry of a package: exports["."] (string or import/default condition), else main, else index.js. */
function entryPoint(raw: RawManifest): string {
  const dot = typeof raw.exports === 'object' && raw.exports !== null ? (raw.exports as Record<string, unknown>)['.'] : raw.exports;
  if (typeof dot === 'string') return dot;
  if (typeof dot === 'object' && dot !== null) {
    const conditions = dot as Record<string, unknown>;
    for (const key of ['import', 'default', 'node']) if (typeof conditions[key] === 'string') return conditions[key] as string;
  }
  return typeof raw.main === 'string' ? raw.main : 'index.js';
}

/**
 * Check a plugin's package.json: name, version, an `engines.earshot` range that includes this
 * host's {@link API_VERSION} (the homebridge way of declaring compatibility).
 * @throws ManifestError with a message that says what to change.
 */
export function parseManifest(dir: string, raw: RawManifest): PluginManifest {
  const file = join(dir, 'package.json');
  if (typeof raw.name !== 'string' || raw.name === '') throw new ManifestError(dir, `${file}: "name" is missing; give the package a name`);
  const name = raw.name;
  // The name becomes a folder under the data dir; npm's own name rules keep it inside.
  if (!NPM_NAME.test(name)) throw new ManifestError(dir, `${file}: "name" is "${name}", not a valid npm package name (lowercase, e.g. "earshot-plugin-acme" or "@acme/earshot-plugin-x")`);
  const version = typeof raw.version === 'string' ? raw.version : '0.0.0';
  const engines = raw.engines?.earshot;
  if (typeof engines !== 'string') {
    throw new ManifestError(dir, `plugin ${name} (${file}) declares no "engines.earshot"; add "engines": { "earshot": "^${semver.major(API_VERSION)}.0.0" } for the plugin API it was written for`);
  }
  if (semver.validRange(engines) === null) {
    throw new ManifestError(dir, `plugin ${name} (${file}): "engines.earshot" is "${engines}", not a semver range; write e.g. "^${API_VERSION}"`);
  }
  if (!semver.satisfies(API_VERSION, engines)) {
    throw new ManifestError(
      dir,
      `plugin ${name}@${version} needs Earshot plugin API ${engines}, this daemon provides ${API_VERSION}; install a version of the plugin made for API ${API_VERSION}, or upgrade earshot`,
    );
  }
  const schema = raw.earshot?.configSchema;
  if (schema !== undefined && typeof schema !== 'string') {
    throw new ManifestError(dir, `plugin ${name} (${file}): "earshot.configSchema" must be a path to a JSON Schema file, relative to the package`);
  }
  const manifest: PluginManifest = {
    name,
    alias: pluginAlias(name),
    version,
    description: typeof raw.description === 'string' ? raw.description : '',
    dir,
    main: resolve(dir, entryPoint(raw)),
    engines,
  };
  if (schema !== undefined) manifest.configSchema = resolve(dir, schema);
  return manifest;
}
