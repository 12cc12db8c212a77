import { inspect } from 'node:util';

/** Longest description of a bad value put into an error message or log line. */
const MAX_DESCRIPTION = 120;

/**
 * A short, one-line description of a value a plugin handed back, for error messages. Never
 * throws: structured clone carries BigInts and cyclic objects across a thread, which
 * JSON.stringify refuses, and a value from a plugin run inline may be a Proxy whose traps throw.
 */
export function describeValue(value: unknown): string {
  let text: string;
  try {
    text = inspect(value, { depth: 2, maxArrayLength: 5, maxStringLength: MAX_DESCRIPTION, breakLength: Infinity, compact: true });
  } catch {
    text = `(a ${typeof value} that cannot be shown)`;
  }
  return text.length > MAX_DESCRIPTION ? `${text.slice(0, MAX_DESCRIPTION - 1)}…` : text;
}
