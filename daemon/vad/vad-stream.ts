import type { AudioFrames } from '../audio/types.js';
import { Segmenter, type OpenSpeech } from './segmenter.js';
import type { SegmenterSettings } from './sensitivity.js';
import type { SpeechSegment, VoiceDetector } from './types.js';

/**
 * Voice-activity detection for one source's stream of frames: runs the detector and the
 * segmenter side by side and hands back finished segments. A discontinuity (the source's
 * command restarted, a new socket client) ends the current stream first, so a segment
 * never spans a gap and the detector's state starts fresh.
 */
export class VadStream {
  private readonly segmenter: Segmenter;
  private open = false;

  constructor(
    sourceId: string,
    private readonly detector: VoiceDetector,
    settings: SegmenterSettings,
  ) {
    this.segmenter = new Segmenter(sourceId, detector.hopSamples, settings);
  }

  async push(frames: AudioFrames): Promise<SpeechSegment[]> {
    const done: SpeechSegment[] = [];
    if (frames.discontinuity && this.open) done.push(...(await this.end()));
    this.open = true;
    this.segmenter.pushAudio(frames.samples, frames.startSample, frames.wallTimeMs);
    done.push(...this.segmenter.pushDecisions(await this.detector.process(frames.samples)));
    return done;
  }

  /** The speech open right now, for live partials. */
  openSpeech(): OpenSpeech | null {
    return this.open ? this.segmenter.openSpeech() : null;
  }

  /** Ends the stream: decides the held samples, closes any open segment, resets the detector. */
  async end(): Promise<SpeechSegment[]> {
    if (!this.open) return [];
    this.open = false;
    const last = this.segmenter.pushDecisions(await this.detector.flush());
    this.detector.reset();
    return [...last, ...this.segmenter.end()];
  }
}
