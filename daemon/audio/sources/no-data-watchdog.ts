import type { FramesHandler } from './types.js';

/**
 * Notices a live source that is alive but sends nothing (a camera stream that stalled, a
 * device that blocks): once no audio has come for `timeoutMs`, `onSilent` is called, once.
 * Time the consumer spends on frames does not count: a slow consumer holds the source back
 * on purpose (see FramesHandler), and that is not the source going quiet.
 */
export class NoDataWatchdog {
  private timer: NodeJS.Timeout | undefined;
  private lastDataAt = 0;
  private handling = 0;

  constructor(
    private readonly timeoutMs: number,
    private readonly onSilent: (silentForMs: number) => void,
  ) {}

  /** Starts watching (again), counting from now. */
  start(): void {
    this.stop();
    this.lastDataAt = Date.now();
    this.arm(this.timeoutMs);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Runs the consumer on frames that just arrived, the time it takes not counting as silence. */
  async feed(handle: () => void | Promise<void>): Promise<void> {
    this.handling++;
    try {
      await handle();
    } finally {
      this.handling--;
      this.lastDataAt = Date.now();
    }
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => this.check(), ms);
  }

  private check(): void {
    const silentForMs = Date.now() - this.lastDataAt;
    if (this.handling === 0 && silentForMs >= this.timeoutMs) {
      this.timer = undefined;
      this.onSilent(silentForMs);
    } else {
      this.arm(this.handling > 0 ? this.timeoutMs : this.timeoutMs - silentForMs);
    }
  }
}

/**
 * A live source's watchdog and the frames handler to give its FrameEmitter: `onFrames` fed
 * through the watchdog, so that time spent on frames does not count as silence. No watchdog,
 * and `onFrames` as it is, when `timeoutMs` is 0 or absent (the check turned off).
 */
export function watchFrames(timeoutMs: number | undefined, onSilent: (silentForMs: number) => void, onFrames: FramesHandler): { watchdog: NoDataWatchdog | null; onFrames: FramesHandler } {
  if (!timeoutMs || timeoutMs <= 0) return { watchdog: null, onFrames };
  const watchdog = new NoDataWatchdog(timeoutMs, onSilent);
  return { watchdog, onFrames: (frames) => watchdog.feed(() => onFrames(frames)) };
}
