/**
 * LoadedModel for streaming Zipformer transducers: a whole segment is streamed through the
 * model chunk by chunk (with tail padding), and live sources get a real streaming AsrStream.
 */
import type { Logger } from '../log/logger.js';
import { buildContextGraph, UnspellableHotwords } from './decode/hotword-graph.js';
import { assembleResult } from './decode/result.js';
import { TransducerGreedy, TransducerModifiedBeam, type TransducerSearch } from './decode/transducer.js';
import type { StreamingZipformerModel } from './models/streaming-zipformer.js';
import type { TokenTable } from './models/tokens.js';
import type { ProviderFallback, ExecutionProvider } from './session.js';
import { StablePrefix } from './streaming/stable-prefix.js';
import { DEFAULT_ENDPOINT_RULES, tailPaddingSec, TransducerStream } from './streaming/transducer-stream.js';
import type { AsrResult, AsrStream, LoadedModel, PartialTranscript, StreamOptions, TranscribeOptions } from './types.js';

/** sherpa-onnx's max_active_paths default for modified beam search. */
export const TRANSDUCER_BEAM_SIZE = 4;

export class TransducerRecognizer implements LoadedModel {
  readonly streaming = true;
  readonly family = 'zipformer-transducer' as const;
  readonly sampleRate = 16000;

  /** Hotwords the model cannot spell, each logged once (the graph is built per transcript). */
  private readonly unspellable: UnspellableHotwords;

  constructor(
    readonly id: string,
    readonly dir: string,
    readonly languages: readonly string[],
    readonly files: readonly string[],
    private readonly model: StreamingZipformerModel,
    private readonly tokens: TokenTable,
    private readonly logger: Logger,
  ) {
    this.unspellable = new UnspellableHotwords(logger);
  }

  get provider(): ExecutionProvider {
    return this.model.encoder.provider;
  }
  get fallbacks(): readonly ProviderFallback[] {
    return this.model.encoder.fallbacks;
  }

  /** A fresh chunked stream with the search the options ask for. */
  openStream(options: TranscribeOptions): TransducerStream {
    const graph = options.hotwords?.length ? buildContextGraph(options.hotwords, this.tokens, this.unspellable) : null;
    const search: TransducerSearch =
      graph || options.method === 'beam' ? new TransducerModifiedBeam(this.model, options.beamSize ?? TRANSDUCER_BEAM_SIZE, graph) : new TransducerGreedy(this.model);
    return new TransducerStream(this.model, search);
  }

  async transcribe(samples: Float32Array, options: TranscribeOptions = {}): Promise<AsrResult> {
    const stream = this.openStream(options);
    stream.accept(samples);
    stream.accept(this.tailPadding());
    stream.inputFinished();
    await stream.decode();
    return this.toResult(stream, samples.length / this.sampleRate, true);
  }

  /** Segments run one after another: each carries its own encoder state. */
  async transcribeBatch(segments: readonly Float32Array[], options: TranscribeOptions = {}): Promise<AsrResult[]> {
    const out: AsrResult[] = [];
    for (const s of segments) out.push(await this.transcribe(s, options));
    return out;
  }

  /** Silence that flushes the last words of a segment through the chunked encoder. */
  tailPadding(): Float32Array {
    return new Float32Array(Math.round(tailPaddingSec(this.model.chunkSize, this.model.chunkShift) * this.sampleRate));
  }

  toResult(stream: TransducerStream, durationSec: number, final: boolean): AsrResult {
    const hyp = stream.result(final);
    const decoded = assembleResult(hyp.ids, hyp.frames, this.tokens, stream.frameShiftSec);
    return { ...decoded, modelId: this.id, durationSec };
  }

  createStream(options: StreamOptions = {}): AsrStream {
    return new LiveTransducerStream(this, options);
  }

  async release(): Promise<void> {
    await this.model.release();
    this.logger.info('model released', { model: this.id });
  }
}

/** AsrStream over a TransducerStream: partials every decoded chunk, endpoint by sherpa-onnx's rules. */
class LiveTransducerStream implements AsrStream {
  private stream: TransducerStream;
  private samples = 0;
  private readonly prefix = new StablePrefix();

  constructor(
    private readonly recognizer: TransducerRecognizer,
    private readonly options: StreamOptions,
  ) {
    this.stream = recognizer.openStream(options);
  }

  get durationSec(): number {
    return this.samples / this.recognizer.sampleRate;
  }

  accept(samples: Float32Array): void {
    this.stream.accept(samples);
    this.samples += samples.length;
  }

  async partial(): Promise<PartialTranscript> {
    await this.stream.decode();
    const r = this.recognizer.toResult(this.stream, this.durationSec, false);
    const [stable, unstable] = this.prefix.update(r.words);
    const stableText = stable.map((w) => w.word).join(' ');
    const unstableText = unstable.map((w) => w.word).join(' ');
    const silence = this.options.endpointSilenceSec;
    const rules = silence === undefined ? DEFAULT_ENDPOINT_RULES : { ...DEFAULT_ENDPOINT_RULES, silenceAfterSpeechSec: silence > 0 ? silence : Infinity };
    return {
      text: [stableText, unstableText].filter(Boolean).join(' '),
      stable: stableText,
      unstable: unstableText,
      words: [...stable, ...unstable],
      endpoint: this.stream.isEndpoint(rules),
      durationSec: this.durationSec,
    };
  }

  async finish(): Promise<AsrResult> {
    this.stream.accept(this.recognizer.tailPadding());
    this.stream.inputFinished();
    await this.stream.decode();
    const result = this.recognizer.toResult(this.stream, this.durationSec, true);
    this.stream = this.recognizer.openStream(this.options);
    this.samples = 0;
    this.prefix.reset();
    return result;
  }
}
