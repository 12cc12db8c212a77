import { readdirSync, realpathSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ManifestError, isPluginPackage, parseManifest, pluginAlias, readPackageJson, type PluginManifest } from './manifest.js';
import { foreignWritable, SHARED_WRITE, untrustedMain, WORLD_WRITE, type TrustRule } from './package-trust.js';
import type { PluginSource } from './types.js';

/** Plugins from plugins.dirs and npm: no shared write bits, owned by root or the daemon's user. */
const THIRD_PARTY: TrustRule = { writeBits: SHARED_WRITE, checkOwner: true };
const BUILTIN: TrustRule = { writeBits: WORLD_WRITE, checkOwner: false };

/** Where to look for plugins. */
export interface DiscoveryRoots {
  /** The built-in plugins folder (`<package>/plugins`). */
  builtinDir: string;
  /** Configured folders: each is a plugin package itself or a folder of them. */
  dirs: readonly string[];
  /** A node_modules folder to search for packages with the `earshot-plugin` keyword; undefined skips npm. */
  nodeModulesDir?: string | undefined;
}

/**
 * Where the daemon looks for plugins with this config: the package's own `plugins/`, then
 * `plugins.dirs`, then its `node_modules` when `plugins.npm` is on. `overrides` are tests' folders.
 */
export function pluginRoots(config: { dirs: readonly string[]; npm: boolean }, packageRoot: string, overrides: { builtinDir?: string | undefined; nodeModulesDir?: string | undefined } = {}): DiscoveryRoots {
  return {
    builtinDir: overrides.builtinDir ?? join(packageRoot, 'plugins'),
    dirs: config.dirs,
    nodeModulesDir: config.npm ? (overrides.nodeModulesDir ?? join(packageRoot, 'node_modules')) : undefined,
  };
}

/** A plugin package found on disk: usable (`manifest`) or refused (`error`). */
export type Candidate =
  | { ok: true; source: PluginSource; manifest: PluginManifest }
  | { ok: false; source: PluginSource; name: string; dir: string; error: string; version?: string };

function listDirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory() || e.isSymbolicLink())
      .map((e) => join(dir, e.name))
      .sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Package folders under a node_modules-like folder, including `@scope/name`. */
function packageDirs(dir: string): string[] {
  return listDirs(dir).flatMap((d) => (basename(d).startsWith('@') ? listDirs(d) : [d]));
}

/**
 * Find plugin packages: built-ins first, then configured folders, then npm packages. The
 * same real folder found twice (node_modules links to the built-ins) counts once; a second
 * package with a name already found is refused with both paths in the message.
 */
export function discoverPlugins(roots: DiscoveryRoots): Candidate[] {
  const found: Candidate[] = [];
  const seenPaths = new Set<string>();
  const byName = new Map<string, string>();

  const consider = (dir: string, source: PluginSource, requireKeyword: boolean): void => {
    let real: string;
    try {
      real = realpathSync(dir);
    } catch {
      return; // a dangling link in node_modules is npm's problem, not a plugin
    }
    if (seenPaths.has(real)) return;
    let raw;
    try {
      raw = readPackageJson(real);
    } catch (err) {
      seenPaths.add(real);
      found.push({ ok: false, source, name: basename(real), dir: real, error: (err as Error).message });
      return;
    }
    if (raw === undefined || (requireKeyword && !isPluginPackage(raw))) return;
    seenPaths.add(real);
    const name = typeof raw.name === 'string' ? raw.name : basename(real);
    // The version its package.json gives, so that a refused plugin is listed as the one installed.
    const version = typeof raw.version === 'string' ? { version: raw.version } : {};
    const refuse = (error: string): void => void found.push({ ok: false, source, name, dir: real, error, ...version });
    const rule = source === 'builtin' ? BUILTIN : THIRD_PARTY;
    const folderProblem = foreignWritable(real, rule);
    if (folderProblem !== undefined) {
      refuse(`plugin folder ${real} ${folderProblem}`);
      return;
    }
    const earlier = byName.get(name);
    if (earlier !== undefined) {
      refuse(`plugin ${name} found twice: ${earlier} and ${real}; remove one of them`);
      return;
    }
    byName.set(name, real);
    let manifest: PluginManifest;
    try {
      manifest = parseManifest(real, raw);
    } catch (err) {
      if (!(err instanceof ManifestError)) throw err;
      refuse(err.message);
      return;
    }
    const mainProblem = untrustedMain(real, manifest.main, rule);
    if (mainProblem !== undefined) {
      refuse(`plugin ${name}: ${mainProblem}`);
      return;
    }
    found.push({ ok: true, source, manifest });
  };

  for (const dir of listDirs(roots.builtinDir)) consider(dir, 'builtin', true);
  for (const dir of roots.dirs) {
    const own = readPackageJsonQuiet(dir);
    if (own !== undefined) {
      consider(dir, 'dir', false);
      continue;
    }
    let problem: string | undefined;
    try {
      problem = foreignWritable(dir, THIRD_PARTY);
    } catch {
      found.push({ ok: false, source: 'dir', name: basename(dir), dir, error: `plugin folder ${dir} (plugins.dirs) does not exist; create it or remove it from the config` });
      continue;
    }
    if (problem !== undefined) {
      // Whoever may write it may rename a package folder in it and put another in its place.
      found.push({ ok: false, source: 'dir', name: basename(dir), dir, error: `plugin folder ${dir} (plugins.dirs) ${problem}` });
      continue;
    }
    for (const sub of packageDirs(dir)) consider(sub, 'dir', false);
  }
  if (roots.nodeModulesDir !== undefined) for (const dir of packageDirs(roots.nodeModulesDir)) consider(dir, 'npm', true);
  return found;
}

function readPackageJsonQuiet(dir: string): unknown {
  try {
    return readPackageJson(dir);
  } catch {
    return {}; // present but broken: let consider() report it
  }
}

/** The name and alias of a candidate, for lookups by either. */
export function candidateNames(c: Candidate): { name: string; alias: string } {
  const name = c.ok ? c.manifest.name : c.name;
  return { name, alias: pluginAlias(name) };
}
