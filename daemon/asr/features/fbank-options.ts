/**
 * Options of the Kaldi log-mel filterbank, named like kaldi-native-fbank's
 * `FrameExtractionOptions` + `MelBanksOptions` + `FbankOptions` so presets can be checked
 * against sherpa-onnx's sources line by line.
 */
export type WindowType = 'povey' | 'hamming' | 'hanning' | 'hann' | 'sine' | 'rectangular' | 'blackman';

export interface FbankOptions {
  sampleRate: number;
  frameLengthMs: number;
  frameShiftMs: number;
  numBins: number;
  /** Lower edge of the first mel bin, Hz. */
  lowFreq: number;
  /** Upper edge of the last mel bin, Hz; <= 0 means an offset from Nyquist (Kaldi convention). */
  highFreq: number;
  windowType: WindowType;
  /** 0 disables pre-emphasis. */
  preemphCoeff: number;
  removeDcOffset: boolean;
  /** Gaussian dither amplitude; 0 at inference so features are deterministic. */
  dither: number;
  /** true: only frames that fit entirely in the signal; false: frames centred on shift multiples, edges reflected. */
  snipEdges: boolean;
  roundToPowerOfTwo: boolean;
  /** 'kaldi': HTK mel scale, unnormalised triangles; 'librosa': Slaney scale + Slaney area norm (NeMo). */
  melBanks: 'kaldi' | 'librosa';
  /** true: power spectrum, false: magnitude. */
  usePower: boolean;
  useLog: boolean;
  /** Multiply [-1, 1] samples by this before framing (32768 for models trained on int16 ranges). */
  sampleScale: number;
}

/** kaldi-native-fbank defaults as sherpa-onnx's FeatureExtractorConfig sets them (features.h). */
export const KALDI_DEFAULTS: FbankOptions = {
  sampleRate: 16000,
  frameLengthMs: 25,
  frameShiftMs: 10,
  numBins: 80,
  lowFreq: 20,
  highFreq: -400,
  windowType: 'povey',
  preemphCoeff: 0.97,
  removeDcOffset: true,
  dither: 0,
  snipEdges: false,
  roundToPowerOfTwo: true,
  melBanks: 'kaldi',
  usePower: true,
  useLog: true,
  sampleScale: 1,
};

export function windowSize(o: FbankOptions): number {
  return Math.trunc((o.sampleRate * o.frameLengthMs) / 1000);
}

export function windowShift(o: FbankOptions): number {
  return Math.trunc((o.sampleRate * o.frameShiftMs) / 1000);
}

export function paddedWindowSize(o: FbankOptions): number {
  const n = windowSize(o);
  return o.roundToPowerOfTwo ? 2 ** Math.ceil(Math.log2(n)) : n;
}

/** Number of frames for `numSamples` samples when the whole signal is known (Kaldi NumFrames, flush=true). */
export function numFrames(numSamples: number, o: FbankOptions): number {
  const shift = windowShift(o);
  const length = windowSize(o);
  if (o.snipEdges) return numSamples < length ? 0 : 1 + Math.floor((numSamples - length) / shift);
  return Math.floor((numSamples + Math.floor(shift / 2)) / shift);
}

/**
 * Frames that can be computed from the first `numSamples` samples of a stream that may still
 * grow (Kaldi NumFrames with flush=false): only frames that end inside the samples received.
 */
export function numFramesReady(numSamples: number, o: FbankOptions, inputFinished: boolean): number {
  let n = numFrames(numSamples, o);
  if (inputFinished || o.snipEdges) return n;
  const length = windowSize(o);
  while (n > 0 && firstSampleOfFrame(n - 1, o) + length > numSamples) n--;
  return n;
}

/** Index of the first sample of frame `frame` (may be negative when snipEdges is false). */
export function firstSampleOfFrame(frame: number, o: FbankOptions): number {
  const shift = windowShift(o);
  if (o.snipEdges) return frame * shift;
  return shift * frame + Math.floor(shift / 2) - Math.floor(windowSize(o) / 2);
}

/** Checks option values up front so a bad preset fails with a message instead of NaN features. */
export function validateFbankOptions(o: FbankOptions): void {
  const nyquist = o.sampleRate / 2;
  const high = o.highFreq > 0 ? o.highFreq : nyquist + o.highFreq;
  const problems: string[] = [];
  if (!(o.sampleRate > 0)) problems.push(`sampleRate ${o.sampleRate} must be > 0`);
  if (!(o.numBins >= 3)) problems.push(`numBins ${o.numBins} must be >= 3`);
  if (o.lowFreq < 0 || o.lowFreq >= nyquist) problems.push(`lowFreq ${o.lowFreq} must be in [0, ${nyquist})`);
  if (high <= 0 || high > nyquist || high <= o.lowFreq) problems.push(`highFreq ${o.highFreq} gives ${high} Hz, outside (lowFreq, ${nyquist}]`);
  if (o.preemphCoeff < 0 || o.preemphCoeff > 1) problems.push(`preemphCoeff ${o.preemphCoeff} must be in [0, 1]`);
  if (windowShift(o) <= 0 || windowSize(o) < 2) problems.push('frameLengthMs/frameShiftMs give an empty frame');
  if (problems.length) throw new Error(`fbank options: ${problems.join('; ')}`);
}
