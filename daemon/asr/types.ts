/**
 * Public types of the ASR engine. The rest of the daemon (scheduler, jobs, CLI) talks to
 * `loadModel()` in recognizer.ts and these shapes only.
 */
import type { ExecutionProvider, GraphOptimization, ProviderFallback } from './session.js';
import type { Logger } from '../log/logger.js';

export type ModelFamily = 'nemo-ctc' | 'zipformer-ctc' | 'sense-voice' | 'paraformer' | 'zipformer-transducer';

export const MODEL_FAMILIES: readonly ModelFamily[] = ['nemo-ctc', 'zipformer-ctc', 'sense-voice', 'paraformer', 'zipformer-transducer'];

/** A phrase to favour while decoding; `boost` is added to the log-score per matched token. */
export interface Hotword {
  phrase: string;
  boost: number;
}

export type DecodingMethod = 'greedy' | 'beam';

export interface TranscribeOptions {
  /**
   * 'greedy' (default; what sherpa-onnx does) or 'beam' (CTC prefix beam search, transducer
   * modified beam search). Hotwords imply 'beam'.
   */
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

/** What a live stream shows while audio still arrives. */
export interface PartialTranscript {
  /** stable + ' ' + unstable, as a live caption would show it. */
  text: string;
  /** Text that will not change any more. */
  stable: string;
  /** The rest of the current hypothesis, which later audio may revise. */
  unstable: string;
  words: AsrWord[];
  /** True when the endpoint rule fired; the caller should call finish(). */
  endpoint: boolean;
  durationSec: number;
  /** Language tag when the model reports one (SenseVoice), as AsrResult.language. */
  language?: string;
}

/**
 * A live transcription: streaming models decode chunk by chunk, offline models re-decode a
 * growing window (simulated streaming). finish() gives the final result and starts afresh.
 */
export interface AsrStream {
  accept(samples: Float32Array): void;
  partial(): Promise<PartialTranscript>;
  finish(): Promise<AsrResult>;
  readonly durationSec: number;
}

export interface StreamOptions extends TranscribeOptions {
  /** Simulated streaming: longest window re-decoded before stable words are committed (default 20 s). */
  maxWindowSec?: number;
  /** Trailing silence after speech that ends an utterance (default 1.2 s); 0 disables. */
  endpointSilenceSec?: number;
}

export interface LoadedModel {
  readonly id: string;
  readonly dir: string;
  /**
   * The languages its model.json card lists, first the main one (empty without a card): what
   * a result is in when the model does not say (only SenseVoice tags each result).
   */
  readonly languages: readonly string[];
  /** The ONNX files its sessions were opened from (absolute paths). */
  readonly files: readonly string[];
  readonly family: ModelFamily;
  readonly sampleRate: number;
  readonly provider: ExecutionProvider;
  readonly fallbacks: readonly ProviderFallback[];
  /** `samples`: mono float in [-1, 1] at `sampleRate`. */
  transcribe(samples: Float32Array, options?: TranscribeOptions): Promise<AsrResult>;
  /** Several segments in one padded inference call; results in input order. */
  transcribeBatch(segments: readonly Float32Array[], options?: TranscribeOptions): Promise<AsrResult[]>;
  /** True for models that decode chunk by chunk (transducers); false for offline models. */
  readonly streaming: boolean;
  createStream(options?: StreamOptions): AsrStream;
  release(): Promise<void>;
}
