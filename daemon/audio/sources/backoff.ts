/**
 * Exponential backoff for restarting a live source: 1 s, 2 s, 4 s … up to a ceiling, reset
 * once the source has stayed up for a while, so a flapping microphone does not spin the
 * CPU and a long-running one that dies once restarts quickly.
 */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** A run at least this long counts as healthy and resets the delay. */
  resetAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 1000, maxMs: 60_000, resetAfterMs: 30_000 };

export class Backoff {
  private failures = 0;

  constructor(private readonly options: BackoffOptions = DEFAULT_BACKOFF) {}

  /** The delay before the next attempt, given how long the last run lasted. */
  next(ranForMs: number): number {
    if (ranForMs >= this.options.resetAfterMs) this.failures = 0;
    const delay = Math.min(this.options.maxMs, this.options.initialMs * 2 ** this.failures);
    this.failures++;
    return delay;
  }

  get attempts(): number {
    return this.failures;
  }
}
