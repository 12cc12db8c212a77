/**
 * Which restart warnings of a command that keeps failing the same way to log: the first few
 * in full, then one a minute saying how many restarts went unlogged, so a dead camera does
 * not write a line per attempt for days, while a failure that changes is logged at once.
 * (The throttled-warnings helper suits floods within a second; restarts come seconds to
 * minutes apart, where it would still log one line per restart.)
 */
export class RepeatedFailures {
  private lastKey: string | undefined;
  private inARow = 0;
  private unlogged = 0;
  private lastLoggedAt = -Infinity;

  constructor(
    private readonly burst = 3,
    private readonly everyMs = 60_000,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /**
   * Whether to log a failure described by `key`; when it is to be logged, `unlogged` is how
   * many failures since the last logged one were not.
   */
  take(key: string): { log: boolean; unlogged: number } {
    const t = this.now();
    if (key !== this.lastKey) {
      this.lastKey = key;
      this.inARow = 0;
    }
    this.inARow++;
    if (this.inARow > this.burst && t - this.lastLoggedAt < this.everyMs) {
      this.unlogged++;
      return { log: false, unlogged: 0 };
    }
    const unlogged = this.unlogged;
    this.unlogged = 0;
    this.lastLoggedAt = t;
    return { log: true, unlogged };
  }

  /** Failures not logged since the last logged one (for a last word when the source stops). */
  get pending(): number {
    return this.unlogged;
  }
}
