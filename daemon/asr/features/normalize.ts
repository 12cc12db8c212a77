/**
 * Post-processing of fbank matrices that particular families expect.
 */
import type { FeatureMatrix } from './fbank.js';

/**
 * NeMo `normalize_type = per_feature`: each mel bin gets zero mean and unit standard deviation
 * over the utterance, population variance and std + 1e-5, as sherpa-onnx's
 * NemoNormalizePerFeature (math.cc) does. In place.
 */
export function normalizePerFeature(m: FeatureMatrix): void {
  const { data, numFrames, dim } = m;
  if (numFrames === 0) return;
  for (let d = 0; d < dim; d++) {
    let sum = 0;
    let sq = 0;
    for (let t = 0; t < numFrames; t++) {
      const x = data[t * dim + d]!;
      sum += x;
      sq += x * x;
    }
    const mean = sum / numFrames;
    const variance = Math.max(0, sq / numFrames - mean * mean);
    const inv = 1 / (Math.sqrt(variance) + 1e-5);
    for (let t = 0; t < numFrames; t++) data[t * dim + d] = (data[t * dim + d]! - mean) * inv;
  }
}

/** The same normalisation for one contiguous series of `n` values (a channels-first row). */
export function normalizeRow(row: Float32Array, n: number): void {
  if (n === 0) return;
  let sum = 0;
  let sq = 0;
  for (let t = 0; t < n; t++) {
    const x = row[t]!;
    sum += x;
    sq += x * x;
  }
  const mean = sum / n;
  const inv = 1 / (Math.sqrt(Math.max(0, sq / n - mean * mean)) + 1e-5);
  for (let t = 0; t < n; t++) row[t] = (row[t]! - mean) * inv;
}

/**
 * Low frame rate stacking (Pundak & Sainath 2016, as FunASR's SenseVoice/Paraformer use it):
 * output frame i stacks `window` input frames centred on input frame i*shift, repeating the
 * first frame on the left and the last frame on the right, so there are ceil(T / shift) output
 * frames. This is FunASR's definition, which sherpa-onnx 1.13.8 also follows (lfr.cc).
 */
export function stackLowFrameRate(m: FeatureMatrix, window: number, shift: number): FeatureMatrix {
  if (m.numFrames === 0) return { data: new Float32Array(0), numFrames: 0, dim: m.dim * window };
  const outFrames = 1 + Math.floor((m.numFrames - 1) / shift);
  const outDim = m.dim * window;
  const data = new Float32Array(outFrames * outDim);
  const left = Math.floor((window - 1) / 2);
  const last = m.numFrames - 1;
  for (let i = 0; i < outFrames; i++) {
    for (let j = 0; j < window; j++) {
      const src = Math.min(last, Math.max(0, i * shift - left + j));
      data.set(m.data.subarray(src * m.dim, (src + 1) * m.dim), i * outDim + j * m.dim);
    }
  }
  return { data, numFrames: outFrames, dim: outDim };
}

/** Global CMVN with the model's stored statistics: (x + negMean) * invStddev, in place. */
export function applyCmvn(m: FeatureMatrix, negMean: Float32Array, invStddev: Float32Array): void {
  if (negMean.length !== m.dim || invStddev.length !== m.dim) {
    throw new Error(`CMVN statistics have ${negMean.length}/${invStddev.length} values but features have dim ${m.dim}`);
  }
  const { data, numFrames, dim } = m;
  for (let t = 0; t < numFrames; t++) {
    const base = t * dim;
    for (let d = 0; d < dim; d++) data[base + d] = (data[base + d]! + negMean[d]!) * invStddev[d]!;
  }
}
