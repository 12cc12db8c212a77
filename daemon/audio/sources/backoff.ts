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

/**
 * The least each setting may be when a command source runs: below them a command that fails
 * at once is respawned many times a second. Applied at run time rather than refused by the
 * schema, so a config that loaded before these floors existed still loads after an upgrade.
 */
export const BACKOFF_FLOORS: BackoffOptions = { initialMs: 250, maxMs: 1000, resetAfterMs: 1000 };

export interface RaisedBackoffSetting {
  setting: keyof BackoffOptions;
  configured: number;
  used: number;
}

/** The options with each value raised to its floor, and which ones were raised. */
export function floorBackoff(options: BackoffOptions): { backoff: BackoffOptions; raised: RaisedBackoffSetting[] } {
  const backoff = { ...options };
  const raised: RaisedBackoffSetting[] = [];
  for (const setting of ['initialMs', 'maxMs', 'resetAfterMs'] as const) {
    const floor = BACKOFF_FLOORS[setting];
    if (options[setting] < floor) {
      backoff[setting] = floor;
      raised.push({ setting, configured: options[setting], used: floor });
    }
  }
  return { backoff, raised };
}
