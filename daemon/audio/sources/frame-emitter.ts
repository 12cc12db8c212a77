import type { Logger } from '../../log/logger.js';
import { PcmToModelRate } from '../to-model-rate.js';
import { MODEL_SAMPLE_RATE, type ChannelSelect, type PcmFormat } from '../types.js';
import { ArrivalRateCheck, TOO_FAST_RATIO } from './arrival-rate.js';
import { describeFormat, readStreamStart, sameFormat, type StreamStart } from './stream-format.js';
import type { FramesHandler } from './types.js';

/** What a live source (command, socket) hands its FrameEmitter from its own options. */
export interface FrameEmitterOptions {
  /**
   * The stream ended (the sender hung up, the command's output closed), cleanly or not:
   * speech still open in it is over, and waits for no later frames to be cut.
   */
  onStreamEnd?: () => Promise<void>;
  logger?: Logger;
  /** How long a raw stream is timed before a rate too fast for its format is warned of (arrival-rate.ts); shorter in tests. */
  rateCheckAfterMs?: number;
}

/** Where one stream's (one connection's, one run's) audio has got to on the wall clock. */
interface StreamClock {
  endMs: number;
}

/**
 * The part every live source shares: PCM bytes of one connection or run in, 16 kHz frames
 * out, stamped with the source's running sample count (its timeline, which keeps counting
 * across reconnects) and the wall-clock time of their first sample.
 */
export class FrameEmitter {
  private samples = 0;
  /** The last format a sender's WAV header gave that was not the source's: said once, not at each reconnect. */
  private toldHeaderFormat: PcmFormat | null = null;
  /** A raw stream came too fast for its format: said once, until a stream comes at its rate. */
  private toldTooFast = false;

  constructor(
    private readonly sourceId: string,
    private readonly onFrames: FramesHandler,
    private readonly options: FrameEmitterOptions = {},
  ) {}

  /**
   * Converts one stream of bytes (one run of a command, one socket client) and hands on its
   * frames. A stream that starts with a WAV header is read in the header's format (stream-format.ts).
   */
  async pump(bytes: AsyncIterable<Buffer>, declared: PcmFormat, channel: ChannelSelect): Promise<void> {
    let first = true;
    const clock: StreamClock = { endMs: -Infinity };
    try {
      const start = await readStreamStart(bytes, declared, `source ${this.sourceId}`);
      const { format, fromHeader, samples: body } = start;
      if (fromHeader) this.noteHeaderFormat(format, declared);
      // The header's channels may not have the one the source takes (its config checked its own).
      const converter = await this.converterFor(start, channel);
      // A header is the truth about its stream; raw bytes are only as right as the config.
      const rate = fromHeader ? null : new ArrivalRateCheck(format, this.options.rateCheckAfterMs);
      for await (const chunk of body) {
        const ratio = rate?.add(chunk.length);
        if (ratio !== undefined) this.noteArrivalRate(ratio, format);
        const samples = converter.push(chunk);
        if (samples.length === 0) continue;
        await this.emit(samples, first, clock);
        first = false;
      }
      const tail = converter.flush();
      if (tail.length > 0) await this.emit(tail, first, clock);
    } finally {
      if (!first) await this.options.onStreamEnd?.();
    }
  }

  private async converterFor(start: StreamStart, channel: ChannelSelect): Promise<PcmToModelRate> {
    try {
      return new PcmToModelRate(start.format, channel);
    } catch (err) {
      await start.abandon();
      const why = err instanceof Error ? err.message : String(err);
      throw new Error(start.fromHeader ? `source ${this.sourceId}: its stream is WAV of ${describeFormat(start.format)} (its header says so): ${why}` : why);
    }
  }

  private noteHeaderFormat(sent: PcmFormat, declared: PcmFormat): void {
    if (sameFormat(sent, declared)) return;
    if (this.toldHeaderFormat !== null && sameFormat(sent, this.toldHeaderFormat)) return;
    this.toldHeaderFormat = sent;
    // Nothing is wrong (the header is the truth), but an operator comparing the config with
    // what arrives should not have to guess which was used.
    this.options.logger?.info("source audio is WAV in another format than the source's; reading it in the header's format", {
      source: this.sourceId,
      sent: describeFormat(sent),
      configured: describeFormat(declared),
    });
  }

  private noteArrivalRate(ratio: number, format: PcmFormat): void {
    if (ratio < TOO_FAST_RATIO) {
      this.toldTooFast = false;
      return;
    }
    if (this.toldTooFast) return;
    this.toldTooFast = true;
    this.options.logger?.warn(`source audio arrives at ${ratio.toFixed(1)}× real time for its format: a live sender is sending another format, or a recording is played faster than real time`, {
      source: this.sourceId,
      configured: describeFormat(format),
      hint: "check the sender's sample rate, channels and encoding against the source's format (or send WAV, whose header says them)",
    });
  }

  private async emit(samples: Float32Array, discontinuity: boolean, clock: StreamClock): Promise<void> {
    const startSample = this.samples;
    this.samples += samples.length;
    const lengthMs = (samples.length * 1000) / MODEL_SAMPLE_RATE;
    // The chunk just arrived, so its first sample was captured its own length ago; but never
    // before the end of the stream's previous chunk: a sender faster than real time (a file
    // piped in) sends chunks closer together than they last, and dated by arrival alone each
    // would start before the last one ended, its speech dated before speech said earlier.
    const wallTimeMs = Math.max(Date.now() - lengthMs, clock.endMs);
    clock.endMs = wallTimeMs + lengthMs;
    await this.onFrames({
      sourceId: this.sourceId,
      startSample,
      wallTimeMs,
      samples,
      ...(discontinuity ? { discontinuity: true } : {}),
    });
  }
}
