import { dirname, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The daemon's own code (dist/daemon): a frame there is not the plugin's. */
const DAEMON_CODE = dirname(dirname(fileURLToPath(import.meta.url))) + sep;

/**
 * Where an error arose in a plugin, as "path:line[:column]": the first place in a file that
 * its stack names, either a decorated stack's head (`file:///p/units.js:47`, which Node writes
 * above a link error) or a frame (`at f (file:///p/index.js:3:9)`). Frames inside Node
 * (`node:internal/...`, `<anonymous>`) and in the daemon's own code are skipped: an error the
 * context's schedule() threw is the plugin's call there, not the daemon's line. Undefined for a
 * thrown non-Error or a stack without such a place.
 */
export function errorLocation(err: unknown): string | undefined {
  if (!(err instanceof Error) || typeof err.stack !== 'string') return undefined;
  for (const line of err.stack.split('\n')) {
    const m = /(?:^|\(|\bat )(file:\/\/\/[^\s()]+|\/[^\s()]+):(\d+(?::\d+)?)\)?$/.exec(line.trim());
    if (!m) continue;
    const file = m[1]!.startsWith('file:') ? fileURLToPath(m[1]!) : m[1]!;
    if (!file.startsWith(DAEMON_CODE)) return `${file}:${m[2]}`;
  }
  return undefined;
}
