/**
 * What every CTC-style family gives the recognizer: per-segment output matrices plus the
 * constants needed to turn frames into seconds and ids into text.
 */
import type { ModelSession } from '../session.js';
import type { CtcMatrix } from '../decode/ctc.js';
import type { FeatureMatrix } from '../features/fbank.js';
import type { ModelFamily, TranscribeOptions } from '../types.js';

export interface CtcForward extends CtcMatrix {
  /** SenseVoice: the first decoded tokens are language / emotion / event / ITN tags. */
  promptTokens: number;
  /** Paraformer: rows are output tokens (not CTC frames), read until this end-of-sentence id. */
  eosId?: number;
  /** Paraformer timestamp exports: CIF peaks, one per 20 ms. */
  cifPeaks?: Float32Array;
}

export interface CtcFamilyModel {
  readonly family: ModelFamily;
  readonly sampleRate: number;
  readonly blankId: number;
  /** Seconds per output frame: hop × subsampling. */
  readonly frameShiftSec: number;
  readonly session: ModelSession;
  forward(batch: readonly Float32Array[], options: TranscribeOptions): Promise<CtcForward[]>;
}

/** Pads feature matrices to [N, Tmax, D] with `padValue` (sherpa-onnx PadSequence). */
export function padBatch(feats: readonly FeatureMatrix[], padValue: number): { data: Float32Array; maxFrames: number; dim: number } {
  const dim = feats[0]?.dim ?? 0;
  const maxFrames = Math.max(1, ...feats.map((f) => f.numFrames));
  const data = new Float32Array(feats.length * maxFrames * dim).fill(padValue);
  feats.forEach((f, i) => data.set(f.data, i * maxFrames * dim));
  return { data, maxFrames, dim };
}

/** Splits a [N, T, V] output into per-item views limited to each item's valid frames. */
export function splitOutput(data: Float32Array, dims: readonly number[], lengths: readonly number[], promptTokens: number): CtcForward[] {
  const [n, t, v] = dims as [number, number, number];
  const out: CtcForward[] = [];
  for (let i = 0; i < n; i++) {
    const frames = Math.max(0, Math.min(t, lengths[i]!));
    out.push({ data: data.subarray(i * t * v, i * t * v + frames * v), frames, vocab: v, promptTokens });
  }
  return out;
}

export function metaInt(meta: Map<string, string>, key: string, where: string, fallback?: number): number {
  const raw = meta.get(key);
  if (raw === undefined) {
    if (fallback !== undefined) return fallback;
    throw new Error(`${where}: ONNX metadata '${key}' is missing`);
  }
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new Error(`${where}: ONNX metadata '${key}' = ${JSON.stringify(raw)} is not an integer`);
  return n;
}

export function metaFloats(meta: Map<string, string>, key: string, where: string): Float32Array {
  const raw = meta.get(key);
  if (raw === undefined) throw new Error(`${where}: ONNX metadata '${key}' is missing`);
  const values = raw.split(',').map((s) => Number(s.trim()));
  if (values.some((x) => !Number.isFinite(x))) throw new Error(`${where}: ONNX metadata '${key}' is not a comma-separated list of numbers`);
  return Float32Array.from(values);
}
