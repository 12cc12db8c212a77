import { dirname, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The daemon's own code (dist/daemon): a frame there is not the plugin's. */
const DAEMON_CODE = dirname(dirname(fileURLToPath(import.meta.url))) + sep;
/** The plugin SDK the daemon provides (its package folder: with source maps a frame names its src/): a frame there is the plugin's call into it. */
const SDK_CODE = sdkCode();
/** An SDK a plugin brought in its own node_modules. */
const BUNDLED_SDK = `${sep}node_modules${sep}@earshot${sep}sdk${sep}`;

function sdkCode(): string | undefined {
  try {
    return dirname(dirname(fileURLToPath(import.meta.resolve('@earshot/sdk')))) + sep;
  } catch {
    return undefined;
  }
}

/** Code that is not the plugin's own: the daemon's, or the SDK's (an applyWordEdits given edits out of range throws there). */
function notThePlugins(file: string): boolean {
  return file.startsWith(DAEMON_CODE) || (SDK_CODE !== undefined && file.startsWith(SDK_CODE)) || file.includes(BUNDLED_SDK);
}

/**
 * Where an error arose in a plugin, as "path:line[:column]": the first place in a file that
 * its stack names, either a decorated stack's head (`file:///p/units.js:47`, which Node writes
 * above a link error) or a frame (`at f (file:///p/index.js:3:9)`), never its message. Frames inside Node
 * (`node:internal/...`, `<anonymous>`), in the daemon's own code and in the SDK are skipped: an
 * error the context's schedule() or the SDK's applyWordEdits threw is the plugin's call there,
 * not the daemon's or the SDK's line. Undefined for a
 * thrown non-Error or a stack without such a place.
 *
 * Never throws: it runs where a plugin's failure is being reported, and what the plugin threw
 * may be a Proxy, or an Error whose `stack` is a getter that throws or a string it made up
 * (a `file:` URL that names no path); a throw here would escape the guard around the call
 * (inline) or end the plugin's thread.
 */
export function errorLocation(err: unknown): string | undefined {
  try {
    if (!(err instanceof Error)) return undefined;
    const stack: unknown = err.stack;
    if (typeof stack !== 'string') return undefined;
    for (const line of stack.split('\n')) {
      const place = placeOf(line.trim());
      if (place === undefined) continue;
      const file = place.file.startsWith('file:') ? fileURLToPath(place.file) : place.file;
      if (!notThePlugins(file)) return `${file}:${place.line}`;
    }
  } catch {
    // Not readable: the failure is reported without where.
  }
  return undefined;
}

/** A file and its line[:column]; the file a `file:` URL or an absolute path, which may hold spaces and brackets. */
const PLACE = /^(file:\/\/\/.+|\/.+):(\d+(?::\d+)?)$/;

/**
 * The place a stack line names: a frame (`at f (place)`, `at async f (place)`, `at place`) or
 * a line that is only a place (a decorated stack's head). Any other line, such as the
 * message's (`Error: no rule at /etc/rules.conf:12`), names none.
 */
function placeOf(line: string): { file: string; line: string } | undefined {
  let text = line;
  if (line.startsWith('at ')) {
    const frame = line.slice(3);
    // Code that eval or new Function made (`at g (eval at f (place), <anonymous>:3:7)`, as in
    // a validator a library compiles) has no file of its own: its caller's frame, next, answers.
    if (frame.includes('(eval at ')) return undefined;
    // `f (place)`: the place starts at the first " (" followed by a path, so a path with
    // brackets (`/opt/p (copy)/index.js`, which a file: URL leaves unescaped) stays whole.
    const open = frame.search(/ \((?:file:\/\/\/|\/)/);
    text = open !== -1 && frame.endsWith(')') ? frame.slice(open + 2, -1) : frame.replace(/^async /, '');
  }
  const m = PLACE.exec(text);
  return m ? { file: m[1]!, line: m[2]! } : undefined;
}

/** " (at file:line)" to append to a message that has lost the error's stack, or "" when where is unknown. */
export function atSuffix(at: string | undefined): string {
  return at === undefined ? '' : ` (at ${at})`;
}
