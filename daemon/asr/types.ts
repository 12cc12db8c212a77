/**
 * Public types of the ASR engine. The rest of the daemon (scheduler, jobs, CLI) talks to
 * `loadModel()` in recognizer.ts and these shapes only.
 */
import type { ExecutionProvider, GraphOptimization, ProviderFallback } from './session.js';
import type { Logger } from '../log/logger.js';

export type ModelFamily = 'nemo-ctc' | 'zipformer-ctc' | 'sense-voice';

export const MODEL_FAMILIES: readonly ModelFamily[] = ['nemo-ctc', 'zipformer-ctc', 'sense-voice'];

/** A phrase to favour while decoding; `boost` is added to the log-score per matched token. */
export interface Hotword {
  phrase: string;
  boost: number;
}

export type DecodingMethod = 'greedy' | 'beam';

export interface TranscribeOptions {
  /** 'greedy' (default; what sherpa-onnx does for CTC) or 'beam' (CTC prefix beam search). Hotwords imply 'beam'. */
  method?: DecodingMethod;
  beamSize?: number;
  hotwords?: readonly Hotword[];
  /** SenseVoice only: 'auto', 'en', 'zh', 'ja', 'ko', 'yue'. */
  language?: string;
  /** SenseVoice only: ask the model for punctuation and inverse text normalisation. */
  useItn?: boolean;
}

export interface AsrToken {
  /** The vocabulary symbol with a word-start `▁` turned into a leading space, as sherpa-onnx reports it. */
  token: string;
  id: number;
  startSec: number;
}

export interface AsrWord {
  word: string;
  startSec: number;
  endSec: number;
}

export interface AsrResult {
  text: string;
  tokens: AsrToken[];
  words: AsrWord[];
  /** Language tag when the model reports one (SenseVoice `<|en|>` → 'en'). */
  language?: string;
  /** SenseVoice emotion and audio-event tags, e.g. 'NEUTRAL', 'Speech'. */
  emotion?: string;
  event?: string;
  modelId: string;
  durationSec: number;
}

export interface LoadOptions {
  providers?: readonly ExecutionProvider[];
  threads?: number;
  graphOptimization?: GraphOptimization;
  logger?: Logger;
  /** Check the sha256 of every file listed in model.json (default true). */
  verify?: boolean;
}

export interface LoadedModel {
  readonly id: string;
  readonly dir: string;
  readonly family: ModelFamily;
  readonly sampleRate: number;
  readonly provider: ExecutionProvider;
  readonly fallbacks: readonly ProviderFallback[];
  /** `samples`: mono float in [-1, 1] at `sampleRate`. */
  transcribe(samples: Float32Array, options?: TranscribeOptions): Promise<AsrResult>;
  /** Several segments in one padded inference call; results in input order. */
  transcribeBatch(segments: readonly Float32Array[], options?: TranscribeOptions): Promise<AsrResult[]>;
  release(): Promise<void>;
}
