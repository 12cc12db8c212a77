import { errorLocation } from './error-location.js';
import { describeError } from './guarded-call.js';

/**
 * Why a plugin's main module could not be imported, saying where when the error does: "SyntaxError:
 * Unexpected token ';', at /p/dist/units.js:47" rather than the message alone, since the
 * culprit is often a module the main module imports. Node 20 gives a syntax error found while
 * parsing an ES module no file at all; then the message says how to find it.
 */
export function describeImportError(err: unknown): string {
  if (!(err instanceof Error)) return describeError(err);
  const what = `${err.name}: ${describeError(err)}`;
  const where = errorLocation(err);
  if (where !== undefined) return `${what}, at ${where}`;
  if (err.name === 'SyntaxError') return `${what}, in that module or one it imports (Node names neither; \`node --check FILE\` on each shows where)`;
  return describeError(err);
}
