import { openAudioFile, recordingStartMs, type DecodeOptions } from '../audio/decode-file.js';
import { MODEL_SAMPLE_RATE } from '../audio/types.js';
import type { SegmenterSettings } from './sensitivity.js';
import type { SpeechSegment, VoiceDetector } from './types.js';
import { VadStream } from './vad-stream.js';

export interface DetectFileOptions {
  sourceId: string;
  detector: VoiceDetector;
  settings: SegmenterSettings;
  decode?: DecodeOptions;
  /**
   * Wall-clock time of the file's first sample; by default the file's own (recordingStartMs:
   * its modification time less its duration), the same however late or often it is read.
   */
  startedAtMs?: number;
  /** Ends the read between chunks (throwing the signal's reason), e.g. when the daemon stops. */
  signal?: AbortSignal;
  /**
   * Where detection starts, in samples at 16 kHz (default 0): the audio before it is
   * decoded (so that what follows is the same samples as in a whole read); the detector
   * hears the last WARM_UP_SEC of it (see VadStream.warmUp) and no segment is cut from it.
   * Segment times stay counted from the file's start.
   */
  fromSample?: number;
  /** Receives each segment as soon as it is cut; the caller decides whether to keep it. */
  onSegment: (segment: SpeechSegment) => void | Promise<void>;
}

export interface DetectFileResult {
  /** Length of the decoded audio at 16 kHz. */
  durationSec: number;
  segments: number;
  speechSec: number;
  /** Share of the audio that went into segments (what ASR would have to process). */
  keptFraction: number;
}

/**
 * Audio before `fromSample` that the detector hears first: a few seconds, the energy
 * detector's noise-floor window (Silero's state settles well within it).
 */
export const WARM_UP_SEC = 4;

/** Streams a file through decoding and VAD in bounded memory, handing out segments as they are cut. */
export async function detectFileSegments(path: string, options: DetectFileOptions): Promise<DetectFileResult> {
  // The length dates the recording only when no start is given.
  const file = await openAudioFile(path, { ...options.decode, probeLength: options.startedAtMs === undefined });
  const stream = new VadStream(options.sourceId, options.detector, options.settings);
  const wallStart = options.startedAtMs ?? recordingStartMs(file.info);
  let samples = 0;
  let segments = 0;
  let speechSec = 0;
  const take = async (list: SpeechSegment[]) => {
    for (const s of list) {
      segments++;
      speechSec += s.endSec - s.startSec;
      await options.onSegment(s);
    }
  };
  const from = options.fromSample ?? 0;
  // Whole hops, so that the detector's hops after it start at `from`.
  const hop = options.detector.hopSamples;
  const warmFrom = from - Math.floor(Math.min(from, WARM_UP_SEC * MODEL_SAMPLE_RATE) / hop) * hop;
  for await (const decoded of file.samples()) {
    options.signal?.throwIfAborted();
    const skip = Math.min(Math.max(warmFrom - samples, 0), decoded.length);
    const warm = Math.min(Math.max(from - samples - skip, 0), decoded.length - skip);
    if (warm > 0) await stream.warmUp(decoded.subarray(skip, skip + warm));
    samples += skip + warm;
    const chunk = decoded.subarray(skip + warm);
    if (chunk.length === 0) continue;
    await take(
      await stream.push({
        sourceId: options.sourceId,
        startSample: samples,
        wallTimeMs: wallStart + (samples * 1000) / MODEL_SAMPLE_RATE,
        samples: chunk,
      }),
    );
    samples += chunk.length;
  }
  await take(await stream.end());
  const durationSec = samples / MODEL_SAMPLE_RATE;
  return { durationSec, segments, speechSec, keptFraction: durationSec > 0 ? speechSec / durationSec : 0 };
}
