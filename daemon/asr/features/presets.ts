/**
 * Feature settings per model family, exactly as sherpa-onnx 1.13 (the version in
 * node_modules/sherpa-onnx-node) configures kaldi-native-fbank for offline recognition.
 *
 * Worth knowing when reading sherpa-onnx: its OfflineStream copies only dither, snip_edges,
 * sample rate, frame length/shift, remove_dc_offset, window_type, num_bins, low/high freq and
 * is_librosa into the fbank options (offline-stream.cc). Pre-emphasis and
 * round_to_power_of_two therefore stay at kaldi-native-fbank's defaults (0.97, true) for every
 * offline family, even where the recognizer sets preemph_coeff = 0 (GigaAM).
 */
import { KALDI_DEFAULTS, type FbankOptions } from './fbank-options.js';

/** icefall Zipformer CTC / transducer and other Kaldi-style models: FeatureExtractorConfig defaults. */
export const ICEFALL_FBANK: FbankOptions = { ...KALDI_DEFAULTS };

/**
 * NeMo CTC (offline-recognizer-ctc-impl.h, the non-GigaAM branch): librosa (Slaney) mel banks
 * from 0 Hz to Nyquist, periodic Hann window, no DC removal. Per-feature normalisation follows
 * from the model's `normalize_type` metadata (see nemo-normalize.ts).
 */
export const NEMO_FBANK: FbankOptions = {
  ...KALDI_DEFAULTS,
  lowFreq: 0,
  highFreq: 0,
  melBanks: 'librosa',
  removeDcOffset: false,
  windowType: 'hann',
};

/**
 * SenseVoice / FunASR (offline-recognizer-sense-voice-impl.h InitFeatConfig): Hamming window,
 * mel banks up to Nyquist, snip_edges, and int16-range samples unless the model's
 * `normalize_samples` metadata is 1. LFR stacking and CMVN follow (lfr-cmvn.ts).
 */
export function senseVoiceFbank(normalizeSamples: boolean): FbankOptions {
  return {
    ...KALDI_DEFAULTS,
    windowType: 'hamming',
    highFreq: 0,
    snipEdges: true,
    sampleScale: normalizeSamples ? 1 : 32768,
  };
}

/** Streaming Zipformer transducer (online recognizer): same defaults as icefall offline models. */
export const STREAMING_ZIPFORMER_FBANK: FbankOptions = { ...KALDI_DEFAULTS };
