/**
 * When a job may be tried again after a shortage of the box (disk full, no descriptors, no
 * memory). Retrying at once would spin: the scheduler starts the job again as soon as it
 * is put back, thousands of times a second, each try a durable write and a log line. The
 * wait doubles per failure, from `minMs` to `maxMs`, and is measured on the monotonic clock
 * so that a step of the wall clock (NTP) neither holds a job for hours nor releases it early.
 */
export class RetryBackoff {
  private readonly waits = new Map<string, { untilMs: number; delayMs: number }>();

  constructor(
    private readonly minMs = 1000,
    private readonly maxMs = 60_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Records one more failure; returns how long the job now waits. */
  postpone(id: string): number {
    const previous = this.waits.get(id);
    const delayMs = previous ? Math.min(this.maxMs, previous.delayMs * 2) : this.minMs;
    this.waits.set(id, { untilMs: this.now() + delayMs, delayMs });
    return delayMs;
  }

  /** Whether the job must still wait. */
  waiting(id: string): boolean {
    const w = this.waits.get(id);
    return w !== undefined && w.untilMs > this.now();
  }

  /** The job ran to an end (done or failed on its own account): its next failure starts over. */
  clear(id: string): void {
    this.waits.delete(id);
  }

  /** Milliseconds until the earliest waiting job may run, or undefined when none waits. */
  nextInMs(): number | undefined {
    const t = this.now();
    let next: number | undefined;
    for (const w of this.waits.values()) if (w.untilMs > t && (next === undefined || w.untilMs - t < next)) next = w.untilMs - t;
    return next;
  }
}
