/**
 * Voice-activity detection: one interface for every detector, and the speech segment that
 * the rest of the pipeline (job queue, ASR engine) receives.
 */

export const DETECTOR_NAMES = ['silero', 'energy'] as const;
export type DetectorName = (typeof DETECTOR_NAMES)[number];

/**
 * A detector turns mono 16 kHz audio into one speech probability per hop of `hopSamples`.
 * Probability i covers samples [i * hop, (i + 1) * hop) counted from the last reset.
 * Samples that do not fill a hop are kept until more arrive.
 */
export interface VoiceDetector {
  readonly name: DetectorName;
  readonly hopSamples: number;
  process(samples: Float32Array): Promise<Float32Array>;
  /** Decides the last partial hop (padded with silence) and resets; call at the end of a stream. */
  flush(): Promise<Float32Array>;
  /** Forgets all state (a new stream starts; LSTM state, noise floor, held samples). */
  reset(): void;
  /** Frees native resources. */
  close(): Promise<void>;
}

/**
 * A stretch of speech cut out of a source, ready for ASR. `startSec`/`endSec` are in the
 * source's own timeline and describe exactly the samples carried (padding included).
 */
export interface SpeechSegment {
  sourceId: string;
  startSec: number;
  endSec: number;
  /** ISO 8601 wall-clock time of `startSec`. */
  startedAt: string;
  sampleRate: 16000;
  /** Mono, 16 kHz. */
  samples: Float32Array;
  /** Id fixed when the speech began (the live partials of this speech carry it too). */
  speechId?: string;
  /** The spool file the speech was found in (its name in the spool folder); absent for live audio. */
  recording?: string;
}
