import { existsSync, realpathSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isInside } from '../path-inside.js';

/** Group/world write bits: anyone but the owner could swap the code the daemon imports. */
export const SHARED_WRITE = 0o022;
/**
 * Built-in plugins are part of the installed package: whoever can write them can write the
 * daemon itself, so only world-writable ones are refused (a checkout made under umask 002
 * must not lose its built-ins), and their owner is not checked.
 */
export const WORLD_WRITE = 0o002;

/** What a package's files must satisfy: no write bits among `writeBits`; owner checked or not. */
export interface TrustRule {
  writeBits: number;
  checkOwner: boolean;
}

// The daemon's own user; undefined where the platform has no uids (then owners are not checked).
const daemonUid = process.geteuid?.();

/**
 * Why `path` may be changed by someone other than root or the daemon's user ("is writable by
 * group or others; fix with ..."), or undefined. The caller puts the path in front.
 */
export function foreignWritable(path: string, rule: TrustRule): string | undefined {
  const { mode, uid } = statSync(path);
  if ((mode & rule.writeBits) !== 0) return `is writable by group or others; fix with \`chmod go-w ${path}\``;
  if (rule.checkOwner && daemonUid !== undefined && uid !== 0 && uid !== daemonUid) {
    return `is owned by uid ${uid}, not by root or earshotd's user (uid ${daemonUid}), and its owner could change the code earshotd runs; fix with \`chown root ${path}\` or install the plugin as earshotd's user`;
  }
  return undefined;
}

/**
 * Why the daemon must not import a plugin's main module, or undefined. Checked: package.json,
 * the main module (after links, it must lie inside the package folder `dir`, itself a real
 * path) and every folder from the main module's up to `dir`: someone who may write any of
 * them could make earshotd run other code. A main module that does not exist yet is left to
 * the loader, which says how to build it.
 *
 * Modules the main module imports in turn are not checked: imports leave the package through
 * links and node_modules resolution, so no walk of the folder would be complete; the plugin
 * docs ask for the whole package tree to be owned by root or earshotd's user instead.
 */
export function untrustedMain(dir: string, main: string, rule: TrustRule): string | undefined {
  const manifest = join(dir, 'package.json');
  const problem = foreignWritable(manifest, rule);
  if (problem !== undefined) return `${manifest} ${problem}`;
  if (!existsSync(main)) return isStrictlyInside(main, dir) ? undefined : `its main module ${main} is outside the plugin folder ${dir}; ship the code inside the package`;
  const real = realpathSync(main);
  if (!isStrictlyInside(real, dir)) return `its main module ${main} is ${real === main ? '' : `a link to ${real}, `}outside the plugin folder ${dir}; ship the code inside the package`;
  for (let path = real; path !== dir; path = dirname(path)) {
    const problem = foreignWritable(path, rule);
    if (problem !== undefined) return `${path} ${problem}`;
  }
  return undefined;
}

/** Inside the package folder and not the folder itself (a main module is a file in it). */
function isStrictlyInside(path: string, dir: string): boolean {
  return path !== dir && isInside(path, dir);
}
