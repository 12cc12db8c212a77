import { fileURLToPath } from 'node:url';
import { describeError } from './guarded-call.js';

/**
 * The first place in a file of the plugin that an error's stack names: a decorated stack's
 * head (`file:///p/units.js:47`, which Node writes above a link error) or a frame
 * (`at f (file:///p/index.js:3:9)`). Frames inside Node (`node:internal/...`) are not the
 * plugin's.
 */
function errorLocation(stack: string): string | undefined {
  for (const line of stack.split('\n')) {
    const m = /(?:^|\(|\bat )(file:\/\/\/[^\s()]+|\/[^\s()]+):(\d+(?::\d+)?)\)?$/.exec(line.trim());
    if (m) return `${m[1]!.startsWith('file:') ? fileURLToPath(m[1]!) : m[1]}:${m[2]}`;
  }
  return undefined;
}

/**
 * Why a plugin's main module could not be imported, saying where when the error does: "SyntaxError:
 * Unexpected token ';' at /p/dist/units.js:47" rather than the message alone, since the
 * culprit is often a module the main module imports. Node 20 gives a syntax error found while
 * parsing an ES module no file at all; then the message says how to find it.
 */
export function describeImportError(err: unknown): string {
  if (!(err instanceof Error)) return describeError(err);
  const what = `${err.name}: ${describeError(err)}`;
  const where = typeof err.stack === 'string' ? errorLocation(err.stack) : undefined;
  if (where !== undefined) return `${what}, at ${where}`;
  if (err.name === 'SyntaxError') return `${what}, in that module or one it imports (Node names neither; \`node --check FILE\` on each shows where)`;
  return describeError(err);
}
