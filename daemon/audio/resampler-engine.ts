import type { PolyphaseTable } from './resampler-table.js';

/**
 * The streaming core of the resampler: holds the input history and the position of the
 * next output, and evaluates the polyphase filter. Output sample n sits exactly at input
 * time n * step / phases (no group delay); each output depends only on its position and
 * the samples under the filter, so chunking never changes a value.
 */
export interface PolyphaseEngine {
  /** Appends `input` and returns every output it completes, at most `limit` of them. */
  process(input: Float32Array, limit: number): Float32Array;
}

/**
 * Upper bound on the outputs computable once the input ends at absolute index `lastIndex`
 * (output n needs input up to its position + half).
 */
export function outputRoom(table: PolyphaseTable, lastIndex: number, posInt: number): number {
  return Math.max(0, Math.floor(((lastIndex - table.half - posInt + 1) * table.phases) / table.step) + 2);
}
