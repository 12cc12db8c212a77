import { STOPPED_BY_SIGNAL, transientCode } from './transient-errors.js';

/** Times in a row a job's or recording's decoder may be stopped by a signal before it is failed. */
export const MAX_DECODER_STOPS = 3;

/**
 * Counts, per job or recording, the runs in a row whose decoder was stopped by a signal
 * (DecoderStopped). One such stop comes with a stop of the daemon and is no fault of the
 * file; the same file stopping its decoder again and again (a CPU time limit on ffmpeg
 * ends it the same way) would otherwise be retried for ever, decoded whole each time.
 */
export class RepeatedStops {
  private readonly counts = new Map<string, number>();

  /** `code`: the transient error counted (a decoder stop by default); more than `max` in a row end the retries. */
  constructor(
    private readonly code: string = STOPPED_BY_SIGNAL,
    private readonly max: number = MAX_DECODER_STOPS,
  ) {}

  /**
   * Whether `err` ends the retries of `key`: an error of this counter's code (counted here)
   * that is one more than its max in a row. Any other error is not counted and says false.
   */
  tooMany(key: string, err: unknown): boolean {
    if (transientCode(err) !== this.code) return false;
    const n = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, n);
    return n > this.max;
  }

  /** The job or recording ended another way: the count starts again. */
  clear(key: string): void {
    this.counts.delete(key);
  }
}

/** The failure of an input whose decoder kept being stopped. */
export function stoppedTooOften(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return `${message}; but it was stopped ${MAX_DECODER_STOPS + 1} times in a row, so it is failed rather than tried again (something keeps stopping the decoder on this file: a CPU time limit?)`;
}
