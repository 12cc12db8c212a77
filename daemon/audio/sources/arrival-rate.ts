import { bytesPerSample, type PcmFormat } from '../types.js';

/**
 * How long a raw stream is timed before its rate is judged: long enough that what the kernel
 * held before the daemon read the first byte (a socket's backlog, a pipe's 64 KiB) cannot
 * make a real-time sender look fast.
 */
export const RATE_CHECK_AFTER_MS = 20_000;

/** Faster than this, sustained, is not a real-time sender of the declared format. */
export const TOO_FAST_RATIO = 1.5;

/**
 * Raw PCM carries no format: a sender of 48 kHz stereo, or of floats, into a source set for
 * 16 kHz mono s16 is read as something else and its speech is never found. A live sender
 * gives audio as fast as it is spoken, so bytes arriving at a multiple of the declared
 * format's rate, for a stream's first `afterMs`, say the format is not what is sent (or that a
 * recording is played faster than real time, which the message says too). Slower is no sign:
 * senders that send only while someone speaks, and the daemon's own backlog pauses, both do.
 */
export class ArrivalRateCheck {
  private firstAtMs: number | null = null;
  private bytes = 0;
  private judged = false;
  private readonly bytesPerSecond: number;

  constructor(
    format: PcmFormat,
    private readonly afterMs = RATE_CHECK_AFTER_MS,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.bytesPerSecond = format.sampleRate * format.channels * bytesPerSample(format.encoding);
  }

  /**
   * Counts a chunk as it arrives; once, when the stream has run `afterMs`, returns how many
   * times real time it came at (at or over TOO_FAST_RATIO: not a live sender of the format).
   */
  add(bytes: number): number | undefined {
    if (this.judged) return undefined;
    const now = this.clock();
    // The first chunk's bytes were sent before it arrived: time starts after them.
    if (this.firstAtMs === null) {
      this.firstAtMs = now;
      return undefined;
    }
    this.bytes += bytes;
    const elapsedMs = now - this.firstAtMs;
    if (elapsedMs < this.afterMs) return undefined;
    this.judged = true;
    return this.bytes / this.bytesPerSecond / (elapsedMs / 1000);
  }
}
