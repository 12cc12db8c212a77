import { realpathSync } from 'node:fs';
import { sep } from 'node:path';
import { ControlError } from './protocol.js';

/** Control methods whose params name files the daemon will read. */
const FILE_METHODS = new Set(['jobs.submit', 'jobs.offer']);

/**
 * A remote caller (MQTT cmd/<verb>) may only name audio files inside the folders the
 * operator configured as spool sources: a signed command must not make the daemon read
 * whatever it can reach (/etc, other services' data). Local callers on the control socket
 * are already root or in the earshot group and are not limited here. Symlinks are resolved
 * before the check, so a link inside a spool folder cannot point out of it.
 */
export function checkRemotePaths(method: string, params: Record<string, unknown>, allowedRoots: readonly string[]): void {
  if (!FILE_METHODS.has(method)) return;
  const paths = Array.isArray(params.paths) ? params.paths : [];
  if (allowedRoots.length === 0) {
    throw new ControlError('invalid_params', `remote ${method} is not allowed: this site has no spool folders configured`, 'configure a spool source, or submit on the box itself');
  }
  const roots = allowedRoots.map((r) => safeRealpath(r) ?? r);
  for (const p of paths) {
    const real = typeof p === 'string' ? safeRealpath(p) : undefined;
    if (!real || !roots.some((root) => real === root || real.startsWith(root + sep))) {
      throw new ControlError('invalid_params', `remote ${method}: ${JSON.stringify(p)} is not inside a spool folder of this site`, `remote callers may name files under: ${allowedRoots.join(', ')}`);
    }
  }
}

function safeRealpath(p: string): string | undefined {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
}
