/**
 * Kaldi-compatible log-mel filterbank (the computation of kaldi-native-fbank's OnlineFbank
 * with InputFinished, which is what sherpa-onnx feeds its offline models).
 *
 * Per frame: extract (reflecting at the edges when snipEdges is false), dither, remove DC,
 * pre-emphasise, window, zero-pad, power spectrum, mel banks, log(max(x, FLT_EPSILON)).
 * One FbankComputer owns every buffer it needs; compute() allocates only its output.
 */
import { RealFft } from './real-fft.js';
import { makeMelBanks, type MelBanks } from './mel-banks.js';
import {
  firstSampleOfFrame,
  numFrames,
  paddedWindowSize,
  validateFbankOptions,
  windowShift,
  windowSize,
  type FbankOptions,
  type WindowType,
} from './fbank-options.js';

/** Row-major [numFrames, dim] float32 features. */
export interface FeatureMatrix {
  data: Float32Array;
  numFrames: number;
  dim: number;
}

const FLT_EPSILON = 1.1920928955078125e-7;

export function makeWindow(type: WindowType, size: number): Float64Array {
  const w = new Float64Array(size);
  // Kaldi's windows are symmetric (N-1); "hann" is the periodic one torch.hann_window makes.
  const a = type === 'hann' ? (2 * Math.PI) / size : (2 * Math.PI) / (size - 1);
  for (let i = 0; i < size; i++) {
    const c = Math.cos(a * i);
    switch (type) {
      case 'hanning':
      case 'hann':
        w[i] = 0.5 - 0.5 * c;
        break;
      case 'hamming':
        w[i] = 0.54 - 0.46 * c;
        break;
      case 'povey':
        w[i] = Math.pow(0.5 - 0.5 * c, 0.85);
        break;
      case 'sine':
        w[i] = Math.sin(0.5 * a * i);
        break;
      case 'rectangular':
        w[i] = 1;
        break;
      case 'blackman':
        w[i] = 0.42 - 0.5 * c + 0.08 * Math.cos(2 * a * i);
        break;
      default:
        throw new Error(`unknown window type '${String(type)}'; use povey, hamming, hanning, hann, sine, rectangular or blackman`);
    }
  }
  return w;
}

export class FbankComputer {
  readonly options: Readonly<FbankOptions>;
  readonly dim: number;
  private readonly frameLength: number;
  private readonly window: Float64Array;
  private readonly fft: RealFft;
  private readonly banks: MelBanks;
  private readonly frame: Float64Array;
  private readonly power: Float64Array;

  constructor(options: FbankOptions) {
    validateFbankOptions(options);
    this.options = { ...options };
    this.dim = options.numBins;
    this.frameLength = windowSize(options);
    this.window = makeWindow(options.windowType, this.frameLength);
    const padded = paddedWindowSize(options);
    this.fft = new RealFft(padded);
    this.banks = makeMelBanks(options);
    this.frame = new Float64Array(padded);
    this.power = new Float64Array(padded / 2 + 1);
  }

  /** Number of frames compute() returns for `numSamples` samples. */
  numFrames(numSamples: number): number {
    return numFrames(numSamples, this.options);
  }

  /** Features of a whole utterance; `samples` are in [-1, 1] at options.sampleRate. */
  compute(samples: Float32Array): FeatureMatrix {
    const n = this.numFrames(samples.length);
    const out = new Float32Array(n * this.dim);
    for (let f = 0; f < n; f++) this.computeFrame(samples, f, out, f * this.dim);
    return { data: out, numFrames: n, dim: this.dim };
  }

  /** Computes frame `f` of `samples` into out[offset .. offset + dim). */
  computeFrame(samples: Float32Array, f: number, out: Float32Array, offset: number): void {
    const o = this.options;
    const len = this.frameLength;
    const frame = this.frame;
    const start = firstSampleOfFrame(f, o);
    const total = samples.length;
    const scale = o.sampleScale;
    let sum = 0;
    if (start >= 0 && start + len <= total) {
      for (let i = 0; i < len; i++) sum += frame[i] = samples[start + i]! * scale;
    } else {
      for (let i = 0; i < len; i++) {
        let s = start + i;
        // Reflect out-of-range indices back into the signal, as Kaldi's ExtractWindow does.
        while (s < 0 || s >= total) s = s < 0 ? -s - 1 : 2 * total - 1 - s;
        sum += frame[i] = samples[s]! * scale;
      }
    }
    frame.fill(0, len);
    if (o.dither !== 0) {
      sum = 0;
      for (let i = 0; i < len; i++) sum += frame[i] = frame[i]! + gaussian() * o.dither;
    }
    // DC removal, pre-emphasis (x[i] - c·x[i-1], x[0] - c·x[0]) and the window in one backward pass.
    const mean = o.removeDcOffset ? sum / len : 0;
    const c = o.preemphCoeff;
    const w = this.window;
    for (let i = len - 1; i > 0; i--) frame[i] = (frame[i]! - mean - c * (frame[i - 1]! - mean)) * w[i]!;
    frame[0] = (frame[0]! - mean) * (1 - c) * w[0]!;

    const power = this.power;
    this.fft.powerSpectrum(frame, power);
    if (!o.usePower) for (let i = 0; i < power.length; i++) power[i] = Math.sqrt(power[i]!);

    const { offsets, starts, weights, numBins } = this.banks;
    const useLog = o.useLog;
    let k = 0;
    for (let b = 0; b < numBins; b++) {
      const end = starts[b + 1]!;
      let j = offsets[b]!;
      let e = 0;
      for (; k < end; k++, j++) e += weights[k]! * power[j]!;
      out[offset + b] = useLog ? Math.log(e > FLT_EPSILON ? e : FLT_EPSILON) : e;
    }
  }

  /** Samples consumed per frame step (for chunked callers). */
  get shift(): number {
    return windowShift(this.options);
  }
}

/** Box-Muller normal deviate; only used when dither is non-zero (never at inference). */
function gaussian(): number {
  const u = 1 - Math.random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * Math.random());
}
