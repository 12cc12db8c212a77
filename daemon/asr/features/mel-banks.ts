/**
 * Triangular mel filters in the two flavours kaldi-native-fbank implements
 * (mel-computations.cc): Kaldi's (HTK mel scale, bins up to but excluding Nyquist,
 * unnormalised) and librosa's (Slaney mel scale and area normalisation, Nyquist included),
 * which NeMo models are trained with. Stored sparsely: one offset + weight run per bin.
 */
import { paddedWindowSize, type FbankOptions } from './fbank-options.js';

export interface MelBanks {
  numBins: number;
  offsets: Int32Array;
  /** weights of bin i are weights[starts[i] .. starts[i+1]) applied from spectrum index offsets[i]. */
  starts: Int32Array;
  weights: Float32Array;
}

const f32 = Math.fround;

function htkMel(freq: number): number {
  return f32(1127 * Math.log(1 + freq / 700));
}

function slaneyMel(freq: number): number {
  return freq <= 1000 ? (freq * 3) / 200 : 15 + 14.545078505785561 * Math.log(freq / 1000);
}

function slaneyHz(mel: number): number {
  return mel <= 15 ? (200 / 3) * mel : 1000 * Math.exp((mel - 15) * 0.06875177742094911);
}

export function makeMelBanks(o: FbankOptions): MelBanks {
  const padded = paddedWindowSize(o);
  const numFftBins = padded / 2;
  const nyquist = o.sampleRate / 2;
  const high = o.highFreq > 0 ? o.highFreq : nyquist + o.highFreq;
  const binWidth = o.sampleRate / padded;
  const librosa = o.melBanks === 'librosa';
  const scale = librosa ? slaneyMel : htkMel;
  const melLow = scale(o.lowFreq);
  const melHigh = scale(high);
  const delta = (melHigh - melLow) / (o.numBins + 1);
  const spectrumBins = librosa ? numFftBins + 1 : numFftBins;

  const offsets = new Int32Array(o.numBins);
  const starts = new Int32Array(o.numBins + 1);
  const runs: number[][] = [];
  for (let bin = 0; bin < o.numBins; bin++) {
    const leftMel = melLow + bin * delta;
    const centerMel = melLow + (bin + 1) * delta;
    const rightMel = melLow + (bin + 2) * delta;
    const [left, center, right] = librosa ? [slaneyHz(leftMel), slaneyHz(centerMel), slaneyHz(rightMel)] : [leftMel, centerMel, rightMel];
    const run: number[] = [];
    let first = -1;
    for (let i = 0; i < spectrumBins; i++) {
      const x = librosa ? binWidth * i : htkMel(binWidth * i);
      if (x > left && x < right) {
        let w = x <= center ? (x - left) / (center - left) : (right - x) / (right - center);
        if (librosa) w *= 2 / (right - left);
        if (first === -1) first = i;
        // Fill any gap so the run stays contiguous (weights between first and i are zero).
        while (first + run.length < i) run.push(0);
        run.push(w);
      }
    }
    if (first === -1) {
      throw new Error(`mel bank ${bin} is empty: numBins ${o.numBins} is too large for a ${padded}-point FFT between ${o.lowFreq} and ${high} Hz`);
    }
    offsets[bin] = first;
    runs.push(run);
  }
  let total = 0;
  for (let b = 0; b < runs.length; b++) {
    starts[b] = total;
    total += runs[b]!.length;
  }
  starts[runs.length] = total;
  const weights = new Float32Array(total);
  runs.forEach((run, b) => weights.set(run, starts[b]!));
  return { numBins: o.numBins, offsets, starts, weights };
}
