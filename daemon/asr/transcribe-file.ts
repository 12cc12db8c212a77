/**
 * Transcribes a whole audio file with a loaded model: decode to 16 kHz mono, cut into windows
 * the model can take at once, run them as one batch and put word times back on the file's clock.
 */
import { decodeAll } from '../audio/decode-file.js';
import type { AsrWord, LoadedModel, TranscribeOptions } from './types.js';

export interface TranscriptSegment {
  startSec: number;
  endSec: number;
  text: string;
  words: AsrWord[];
}

export interface FileTranscript {
  file: string;
  modelId: string;
  durationSec: number;
  text: string;
  segments: TranscriptSegment[];
  language?: string;
}

/** Longest piece sent to the model in one go; longer files are cut into windows of this size. */
export const MAX_WINDOW_SEC = 30;

const round = (x: number) => Math.round(x * 1000) / 1000;

/**
 * Window boundaries for long audio: each window ends at the quietest 100 ms in its last
 * `SEARCH_SEC` seconds, so cuts fall in pauses rather than inside words.
 */
const SEARCH_SEC = 5;

export function windowBounds(samples: Float32Array, rate: number, maxWindowSec = MAX_WINDOW_SEC): number[] {
  const win = Math.floor(maxWindowSec * rate);
  const step = Math.floor(rate / 10);
  const bounds = [0];
  let start = 0;
  while (samples.length - start > win) {
    let best = start + win;
    let bestEnergy = Infinity;
    for (let end = start + win; end - step >= start + win - SEARCH_SEC * rate; end -= step) {
      let e = 0;
      for (let i = end - step; i < end; i++) e += samples[i]! * samples[i]!;
      if (e < bestEnergy) ((bestEnergy = e), (best = end - Math.floor(step / 2)));
    }
    bounds.push(best);
    start = best;
  }
  bounds.push(samples.length);
  return bounds;
}

export async function transcribeSamples(model: LoadedModel, file: string, samples: Float32Array, options: TranscribeOptions = {}): Promise<FileTranscript> {
  const rate = model.sampleRate;
  const bounds = windowBounds(samples, rate);
  const pieces = bounds.slice(1).map((end, i) => samples.subarray(bounds[i]!, end));
  const results = await model.transcribeBatch(pieces, options);
  const segments: TranscriptSegment[] = results.map((r, i) => {
    const offset = bounds[i]! / rate;
    return {
      startSec: round(offset),
      endSec: round(offset + pieces[i]!.length / rate),
      text: r.text,
      words: r.words.map((w) => ({ word: w.word, startSec: round(w.startSec + offset), endSec: round(w.endSec + offset) })),
    };
  });
  const language = results[0]?.language;
  return {
    file,
    modelId: model.id,
    durationSec: round(samples.length / rate),
    text: segments
      .map((s) => s.text)
      .filter(Boolean)
      .join(' '),
    segments,
    ...(language ? { language } : {}),
  };
}

export async function transcribeFile(model: LoadedModel, path: string, options: TranscribeOptions = {}): Promise<FileTranscript> {
  const samples = await decodeAll(path, { sampleRate: model.sampleRate });
  return transcribeSamples(model, path, samples, options);
}
