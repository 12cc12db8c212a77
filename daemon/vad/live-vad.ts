import type { AudioFrames } from '../audio/types.js';
import type { Logger } from '../log/logger.js';
import type { OpenSpeech } from './segmenter.js';
import type { SegmenterSettings } from './sensitivity.js';
import type { SpeechSegment, VoiceDetector } from './types.js';
import { VadStream } from './vad-stream.js';

export interface LiveVadOptions {
  sourceId: string;
  createDetector: () => Promise<VoiceDetector>;
  settings: SegmenterSettings;
  onSegment: (segment: SpeechSegment) => Promise<void>;
  logger: Logger;
}

/**
 * VAD for one live source: a frames handler to give the source, and `end()` to flush the
 * speech still open when the source stops. The detector is created on the first frames
 * (its model loads then, not at construction).
 */
export class LiveVad {
  private stream: VadStream | null = null;
  private detector: VoiceDetector | null = null;

  constructor(private readonly options: LiveVadOptions) {}

  readonly onFrames = async (frames: AudioFrames): Promise<void> => {
    if (!this.stream) {
      this.detector = await this.options.createDetector();
      this.stream = new VadStream(this.options.sourceId, this.detector, this.options.settings);
    }
    await this.deliver(await this.stream.push(frames));
  };

  get sourceId(): string {
    return this.options.sourceId;
  }

  /** The speech open right now (pre-padding included), or null; for live partials. */
  openSpeech(): OpenSpeech | null {
    return this.stream?.openSpeech() ?? null;
  }

  async end(): Promise<void> {
    if (!this.stream) return;
    await this.deliver(await this.stream.end());
    await this.detector?.close();
    this.stream = null;
    this.detector = null;
  }

  private async deliver(segments: SpeechSegment[]): Promise<void> {
    for (const s of segments) {
      this.options.logger.debug(() => `speech ${s.startSec.toFixed(2)}-${s.endSec.toFixed(2)} s`, { source: s.sourceId });
      await this.options.onSegment(s);
    }
  }
}
