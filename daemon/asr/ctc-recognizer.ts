/**
 * LoadedModel for the CTC-style families (NeMo CTC, Zipformer CTC, SenseVoice): one padded
 * inference call per batch, then greedy or prefix-beam decoding per segment.
 */
import type { Logger } from '../log/logger.js';
import type { ContextGraph } from './decode/context-graph.js';
import { ctcGreedy, ctcPrefixBeamSearch, type CtcHypothesis } from './decode/ctc.js';
import { buildContextGraph, UnspellableHotwords } from './decode/hotword-graph.js';
import { cifPeakTimes, funasrWords, paraformerGreedy } from './decode/paraformer.js';
import { assembleResult } from './decode/result.js';
import type { CtcFamilyModel, CtcForward } from './models/ctc-model.js';
import type { TokenTable } from './models/tokens.js';
import { SimulatedStream } from './streaming/simulated-stream.js';
import type { AsrResult, AsrStream, LoadedModel, StreamOptions, TranscribeOptions } from './types.js';

/** Prefixes kept by CTC prefix beam search; 8 lets hotword bonuses reach paths that greedy search ranks lower. */
export const DEFAULT_BEAM_SIZE = 8;

export class CtcRecognizer implements LoadedModel {
  readonly streaming = false;

  /** Hotwords the model cannot spell, each logged once (the graph is built per transcript). */
  private readonly unspellable: UnspellableHotwords;

  constructor(
    readonly id: string,
    readonly dir: string,
    readonly languages: readonly string[],
    readonly files: readonly string[],
    private readonly model: CtcFamilyModel,
    private readonly tokens: TokenTable,
    private readonly logger: Logger,
  ) {
    this.unspellable = new UnspellableHotwords(logger);
  }

  get family() {
    return this.model.family;
  }
  get sampleRate() {
    return this.model.sampleRate;
  }
  get provider() {
    return this.model.session.provider;
  }
  get fallbacks() {
    return this.model.session.fallbacks;
  }

  async transcribe(samples: Float32Array, options: TranscribeOptions = {}): Promise<AsrResult> {
    return (await this.transcribeBatch([samples], options))[0]!;
  }

  async transcribeBatch(segments: readonly Float32Array[], options: TranscribeOptions = {}): Promise<AsrResult[]> {
    if (segments.length === 0) return [];
    const minSamples = Math.ceil(this.sampleRate * 0.03);
    // Segments too short for one feature frame give an empty result instead of failing the batch.
    const live = segments.map((s, i) => ({ s, i })).filter(({ s }) => s.length >= minSamples);
    const outputs = live.length ? await this.model.forward(live.map((x) => x.s), options) : [];
    const graph = options.hotwords?.length ? buildContextGraph(options.hotwords, this.tokens, this.unspellable) : null;
    const results: AsrResult[] = segments.map((s) => this.empty(s));
    live.forEach(({ s, i }, k) => (results[i] = this.decode(outputs[k]!, s, options, graph)));
    return results;
  }

  createStream(options: StreamOptions = {}): AsrStream {
    return new SimulatedStream(this, { maxWindowSec: options.maxWindowSec, endpointSilenceSec: options.endpointSilenceSec, transcribe: options });
  }

  private decode(out: CtcForward, samples: Float32Array, options: TranscribeOptions, graph: ContextGraph | null): AsrResult {
    if (out.eosId !== undefined) return this.decodeParaformer(out, samples);
    const beam = graph !== null || options.method === 'beam';
    const hyp: CtcHypothesis = beam
      ? ctcPrefixBeamSearch(out, { beamSize: options.beamSize ?? DEFAULT_BEAM_SIZE, blankId: this.model.blankId, context: graph })
      : ctcGreedy(out, this.model.blankId);
    const result = this.empty(samples);
    let { ids, frames } = hyp;
    if (out.promptTokens > 0) {
      const tags = ids.slice(0, out.promptTokens).map((id) => this.tokens.display(id).replace(/^<\||\|>$/g, ''));
      [result.language, result.emotion, result.event] = tags;
      ids = ids.slice(out.promptTokens);
      frames = frames.slice(out.promptTokens).map((f) => f - out.promptTokens);
    }
    // Like sherpa-onnx: yesno TDNN's SIL and Google MedASR's </s> are not text.
    const skip = new Set(['SIL', '</s>'].map((s) => this.tokens.symbolToId.get(s)).filter((x) => x !== undefined));
    if (skip.size && out.promptTokens === 0) {
      const keep = ids.map((id, i) => (skip.has(id) ? -1 : i)).filter((i) => i >= 0);
      ids = keep.map((i) => ids[i]!);
      frames = keep.map((i) => frames[i]!);
    }
    const decoded = assembleResult(ids, frames, this.tokens, this.model.frameShiftSec);
    return { ...result, ...decoded };
  }

  /**
   * Paraformer predicts its tokens directly: no search, so no hotword biasing. Token times come
   * from CIF peaks when the export has them; otherwise tokens and words carry no timing (0).
   */
  private decodeParaformer(out: CtcForward, samples: Float32Array): AsrResult {
    const ids = paraformerGreedy(out, out.eosId!);
    const symbols = ids.map((id) => this.tokens.display(id));
    const times = out.cifPeaks ? cifPeakTimes(out.cifPeaks, ids.length) : null;
    const at = (i: number) => times?.[i] ?? 0;
    const words = funasrWords(symbols).map((w) => ({ word: w.word, startSec: at(w.first), endSec: times ? (times[w.last + 1] ?? at(w.last) + this.model.frameShiftSec) : 0 }));
    return {
      ...this.empty(samples),
      text: words.map((w) => w.word).join(' ').replace(/(?<=[^\x00-\x7f]) (?=[^\x00-\x7f])/gu, ''),
      tokens: ids.map((id, i) => ({ token: symbols[i]!, id, startSec: at(i) })),
      words,
    };
  }

  private empty(samples: Float32Array): AsrResult {
    return { text: '', tokens: [], words: [], modelId: this.id, durationSec: samples.length / this.sampleRate };
  }

  async release(): Promise<void> {
    await this.model.session.release();
    this.logger.info('model released', { model: this.id });
  }
}
