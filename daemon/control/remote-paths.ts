import { realpathSync } from 'node:fs';
import { isInside } from '../path-inside.js';
import { ControlError } from './protocol.js';

/** Control methods whose params name files the daemon will read. */
const FILE_METHODS = new Set(['jobs.submit', 'jobs.offer']);

/**
 * A remote caller (MQTT cmd/<verb>) may only name audio files inside the folders the
 * operator configured as spool sources: a signed command must not make the daemon read
 * whatever it can reach (/etc, other services' data). Local callers on the control socket
 * are already root or in the earshot group and are not limited here. Symlinks are resolved
 * before the check, so a link inside a spool folder cannot point out of it.
 *
 * Returns the params to run: the paths as resolved, and `within` set to the spool folders,
 * so the file is held to them again when it is read (perhaps hours later, after whoever
 * writes to the spool has swapped a folder or the file for a link); whatever `within` the
 * caller sent is replaced.
 */
export function checkRemotePaths(method: string, params: Record<string, unknown>, allowedRoots: readonly string[]): Record<string, unknown> {
  if (!FILE_METHODS.has(method)) return params;
  const paths = Array.isArray(params.paths) ? params.paths : [];
  if (allowedRoots.length === 0) {
    throw new ControlError('invalid_params', `remote ${method} is not allowed: this site has no spool folders configured`, 'configure a spool source, or submit on the box itself');
  }
  const roots = allowedRoots.map((r) => safeRealpath(r) ?? r);
  const resolved: string[] = [];
  for (const p of paths) {
    const real = typeof p === 'string' ? safeRealpath(p) : undefined;
    if (!real || !roots.some((root) => isInside(real, root))) {
      throw new ControlError('invalid_params', `remote ${method}: ${JSON.stringify(p)} is not inside a spool folder of this site`, `remote callers may name files under: ${allowedRoots.join(', ')}`);
    }
    resolved.push(real);
  }
  return { ...params, paths: resolved, within: roots };
}

function safeRealpath(p: string): string | undefined {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
}
