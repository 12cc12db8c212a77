import { parseDuration } from '../energy/ledger.js';

/** A duration flag's value (90m, 24h, 7d) in milliseconds; the error names the flag, which the bare parse cannot. */
export function parseDurationFlag(flag: string, text: string): number {
  try {
    return parseDuration(text);
  } catch (err) {
    throw new Error(`${flag}: ${(err as Error).message}`);
  }
}
