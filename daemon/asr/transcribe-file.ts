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

export async function transcribeSamples(model: LoadedModel, file: string, samples: Float32Array, options: TranscribeOptions = {}): Promise<FileTranscript> {
  const rate = model.sampleRate;
  const win = MAX_WINDOW_SEC * rate;
  const pieces: Float32Array[] = [];
  for (let at = 0; at < samples.length; at += win) pieces.push(samples.subarray(at, Math.min(samples.length, at + win)));
  if (pieces.length === 0) pieces.push(new Float32Array(0));
  const results = await model.transcribeBatch(pieces, options);
  const segments: TranscriptSegment[] = results.map((r, i) => {
    const offset = (i * win) / rate;
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
