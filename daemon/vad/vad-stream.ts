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
  /** Audio given to warmUp, and how many of its hops' probabilities were dropped so far. */
  private warmSamples = 0;
  private warmDropped = 0;

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
    done.push(...this.segmenter.pushDecisions(this.unwarmed(await this.detector.process(frames.samples))));
    return done;
  }

  /**
   * Gives the detector the audio just before the stream's first push, whole hops of it,
   * without cutting any of it: its state (Silero's LSTM, the energy detector's noise floor)
   * is then as if it had heard the stream from earlier, so speech under way where the stream
   * starts counts as speech from its first hop. Call before the first push only.
   */
  async warmUp(samples: Float32Array): Promise<void> {
    this.open = true;
    this.warmSamples += samples.length;
    this.unwarmed(await this.detector.process(samples));
  }

  /** `probabilities` less those of the hops given to warmUp. */
  private unwarmed(probabilities: Float32Array): Float32Array {
    const drop = Math.min(Math.floor(this.warmSamples / this.detector.hopSamples) - this.warmDropped, probabilities.length);
    if (drop <= 0) return probabilities;
    this.warmDropped += drop;
    return probabilities.subarray(drop);
  }

  /** The speech open right now, for live partials. */
  openSpeech(): OpenSpeech | null {
    return this.open ? this.segmenter.openSpeech() : null;
  }

  /** Ends the stream: decides the held samples, closes any open segment, resets the detector. */
  async end(): Promise<SpeechSegment[]> {
    if (!this.open) return [];
    this.open = false;
    const last = this.segmenter.pushDecisions(this.unwarmed(await this.detector.flush()));
    this.warmSamples = this.warmDropped = 0;
    this.detector.reset();
    return [...last, ...this.segmenter.end()];
  }
}
