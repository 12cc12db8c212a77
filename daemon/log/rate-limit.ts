/**
 * A token bucket for what others may push at the daemon unasked (a plugin's log records and
 * stdout, warnings about messages from the network): a burst is fine, a flood is cut, and
 * the number cut is reported instead of lost silently.
 */
export class RateLimit {
  private tokens: number;
  private last: number;
  private dropped = 0;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Whether one more item may pass now; counts it as dropped when not. */
  take(): boolean {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.perSecond);
    this.last = t;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    this.dropped++;
    return false;
  }

  /**
   * Calls `report` with the number dropped once a second while dropping goes on, so a flood
   * that ends with nothing after it is still reported.
   */
  reportDrops(report: (dropped: number) => void, everyMs = 1000): void {
    if (this.reporter) return;
    this.reporter = setTimeout(() => {
      this.reporter = undefined;
      const n = this.takeDropped();
      if (n > 0) report(n);
    }, everyMs);
    this.reporter.unref();
  }

  private reporter: NodeJS.Timeout | undefined;

  /** Items dropped since the last call. */
  takeDropped(): number {
    const n = this.dropped;
    this.dropped = 0;
    return n;
  }
}
