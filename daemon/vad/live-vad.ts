import type { AudioFrames } from '../audio/types.js';
import type { Logger } from '../log/logger.js';
import type { OpenSpeech } from './segmenter.js';
import type { SegmenterSettings } from './sensitivity.js';
import type { SpeechSegment, VoiceDetector } from './types.js';
import { VadStream } from './vad-stream.js';
import { SerialQueue } from '../serial-queue.js';

export interface LiveVadOptions {
  sourceId: string;
  createDetector: () => Promise<VoiceDetector>;
  settings: SegmenterSettings;
  onSegment: (segment: SpeechSegment) => Promise<void>;
  logger: Logger;
  /** See STALL_FLUSH_MS (tests shorten it). */
  stallFlushMs?: number;
}

/**
 * How long a live stream may send nothing while speech is open before that speech is cut.
 * Live senders stream continuously in real time (silence is audio too), so seconds without
 * a byte is a stall, not a pause in the talk.
 */
export const STALL_FLUSH_MS = 5000;

/**
 * VAD for one live source: a frames handler to give the source, and `end()` to flush the
 * speech still open when the source stops. The detector is created on the first frames
 * (its model loads then, not at construction).
 */
export class LiveVad {
  private stream: VadStream | null = null;
  private detector: VoiceDetector | null = null;
  /** Frames and ends, one at a time: an end as a sender hangs up must not cross the next sender's first frames. */
  private readonly steps = new SerialQueue();
  private stallTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: LiveVadOptions) {}

  readonly onFrames = (frames: AudioFrames): Promise<void> =>
    this.steps.run(async () => {
      if (!this.stream) {
        this.detector = await this.options.createDetector();
        this.stream = new VadStream(this.options.sourceId, this.detector, this.options.settings);
      }
      await this.deliver(await this.stream.push(frames));
      this.armStallFlush();
    });

  /**
   * A sender that stops sending without hanging up (a stalled network, a recorder that
   * froze) leaves its speech open: no later audio comes to close it. After STALL_FLUSH_MS
   * without frames the stream is ended as if it had hung up; the next frames start anew.
   */
  private armStallFlush(): void {
    clearTimeout(this.stallTimer);
    const ms = this.options.stallFlushMs ?? STALL_FLUSH_MS;
    this.stallTimer = setTimeout(() => {
      if (!this.stream?.openSpeech()) return;
      this.options.logger.info(`no audio for ${ms / 1000} s with speech open: ending it`, { source: this.options.sourceId });
      void this.end().catch((err: unknown) => this.options.logger.warn('could not end the stalled speech', { source: this.options.sourceId, err }));
    }, ms);
    this.stallTimer.unref();
  }

  get sourceId(): string {
    return this.options.sourceId;
  }

  /** The speech open right now (pre-padding included), or null; for live partials. */
  openSpeech(): OpenSpeech | null {
    return this.stream?.openSpeech() ?? null;
  }

  /** Ends the stream: the speech open in it is cut and handed on (a sender hung up, a stall, the source stopping). */
  end(): Promise<void> {
    return this.steps.run(async () => {
      clearTimeout(this.stallTimer);
      if (!this.stream) return;
      const stream = this.stream;
      const detector = this.detector;
      this.stream = null;
      this.detector = null;
      await this.deliver(await stream.end());
      await detector?.close();
    });
  }

  private async deliver(segments: SpeechSegment[]): Promise<void> {
    for (const s of segments) {
      this.options.logger.debug(() => `speech ${s.startSec.toFixed(2)}-${s.endSec.toFixed(2)} s`, { source: s.sourceId });
      await this.options.onSegment(s);
    }
  }
}
