/**
 * Shared audio types: how raw PCM bytes are laid out, and the mono 16 kHz frames that flow
 * from sources into voice-activity detection.
 */

/** Every model in the pipeline (Silero VAD, the ASR families) runs at 16 kHz mono. */
export const MODEL_SAMPLE_RATE = 16000;

/** Sample encodings we decode; little-endian as in WAV and ALSA's `S16_LE` etc. */
export const PCM_ENCODINGS = ['u8', 's8', 's16le', 's24le', 's32le', 'f32le', 'f64le'] as const;
export type PcmEncoding = (typeof PCM_ENCODINGS)[number];

/** How several channels become one: their average, or one chosen channel (0-based). */
export type ChannelSelect = 'mix' | number;

/** The layout of interleaved PCM bytes. */
export interface PcmFormat {
  encoding: PcmEncoding;
  sampleRate: number;
  channels: number;
}

/** Bytes per sample of one channel. */
export function bytesPerSample(encoding: PcmEncoding): number {
  switch (encoding) {
    case 'u8':
    case 's8':
      return 1;
    case 's16le':
      return 2;
    case 's24le':
      return 3;
    case 's32le':
    case 'f32le':
      return 4;
    case 'f64le':
      return 8;
  }
}

/**
 * A run of mono 16 kHz samples from one source. `startSample` counts samples in the
 * source's own timeline (0 = the first sample it ever produced), so timestamps stay exact
 * however the audio was chunked; `wallTimeMs` is the wall-clock time of that first sample.
 */
export interface AudioFrames {
  sourceId: string;
  startSample: number;
  wallTimeMs: number;
  samples: Float32Array;
  /** True on the first frames after a gap (a restarted command, a new socket client). */
  discontinuity?: boolean;
}
