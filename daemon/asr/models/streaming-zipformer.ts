/**
 * icefall streaming Zipformer transducer exports (model_type zipformer2, and the older
 * zipformer whose encoder has the same x + states → encoder_out + new states form), run as
 * sherpa-onnx's OnlineZipformer2TransducerModel / OnlineZipformerTransducerModel run them:
 *  - encoder: x [N, T, 80] followed by the cached states; outputs encoder_out [N, T', D] and the
 *    new states in the same order (T and decode_chunk_len come from the encoder metadata);
 *  - decoder: y [N, context_size] int64 (the last tokens, -1 for "none yet") → decoder_out [N, D];
 *  - joiner: (encoder_out [N, D], decoder_out [N, D]) → logit [N, V].
 * Initial states are zeros shaped like the encoder's declared state inputs (batch 1).
 */
import ort from 'onnxruntime-node';
import type { ModelSession } from '../session.js';
import { metaInt } from './ctc-model.js';
import type { TokenTable } from './tokens.js';

export type EncoderStates = ort.Tensor[];

export interface TransducerPaths {
  encoder: string;
  decoder: string;
  joiner: string;
}

export class StreamingZipformerModel {
  readonly chunkSize: number;
  readonly chunkShift: number;
  readonly contextSize: number;
  readonly vocabSize: number;
  readonly featureDim = 80;
  /** Encoder output frames are 4 feature frames apart (sherpa-onnx hard-codes 4 as well). */
  readonly subsampling = 4;
  readonly blankId = 0;
  readonly unkId: number | null;

  constructor(
    readonly encoder: ModelSession,
    readonly decoder: ModelSession,
    readonly joiner: ModelSession,
    encoderMeta: Map<string, string>,
    decoderMeta: Map<string, string>,
    paths: TransducerPaths,
    tokens: TokenTable,
  ) {
    const type = encoderMeta.get('model_type');
    if (type !== 'zipformer2' && type !== 'zipformer') {
      throw new Error(`${paths.encoder}: model_type '${type ?? ''}' is not a streaming Zipformer encoder (expected zipformer or zipformer2)`);
    }
    this.chunkSize = metaInt(encoderMeta, 'T', paths.encoder);
    this.chunkShift = metaInt(encoderMeta, 'decode_chunk_len', paths.encoder);
    this.contextSize = metaInt(decoderMeta, 'context_size', paths.decoder);
    this.vocabSize = metaInt(decoderMeta, 'vocab_size', paths.decoder);
    if (this.vocabSize !== tokens.size) throw new Error(`${paths.decoder}: vocab_size ${this.vocabSize} but tokens.txt has ${tokens.size} tokens; they belong to different models`);
    if (encoder.outputNames.length !== encoder.inputNames.length) {
      throw new Error(`${paths.encoder}: a streaming encoder returns encoder_out plus one new state per state input; it has ${encoder.inputNames.length} inputs and ${encoder.outputNames.length} outputs`);
    }
    this.unkId = tokens.symbolToId.get('<unk>') ?? null;
  }

  /** Zero states, shaped like the encoder's state inputs with every symbolic (batch) dimension 1. */
  initStates(): EncoderStates {
    return this.encoder.inputNames.slice(1).map((name) => {
      const dims = this.encoder.inputShape(name).map((d) => (typeof d === 'number' && d > 0 ? d : 1));
      const size = dims.reduce((a, b) => a * b, 1);
      const type = this.encoder.inputType(name);
      if (type === 'int64') return new ort.Tensor('int64', new BigInt64Array(size), dims);
      return new ort.Tensor('float32', new Float32Array(size), dims);
    });
  }

  /** One chunk of `chunkSize` feature frames → encoder frames [T', D] and the next states. */
  async runEncoder(features: Float32Array, states: EncoderStates): Promise<{ out: Float32Array; frames: number; dim: number; states: EncoderStates }> {
    const names = this.encoder.inputNames;
    const feeds: Record<string, ort.Tensor> = { [names[0]!]: new ort.Tensor('float32', features, [1, this.chunkSize, this.featureDim]) };
    states.forEach((s, i) => (feeds[names[i + 1]!] = s));
    const out = await this.encoder.run(feeds);
    const outNames = this.encoder.outputNames;
    const enc = out[outNames[0]!]!;
    return { out: enc.data as Float32Array, frames: enc.dims[1]!, dim: enc.dims[2]!, states: outNames.slice(1).map((n) => out[n]!) };
  }

  /** Decoder outputs [N, D] for N contexts of `contextSize` token ids each. */
  async runDecoder(contexts: readonly number[][]): Promise<Float32Array> {
    const flat = BigInt64Array.from(contexts.flat().map((x) => BigInt(x)));
    const out = await this.decoder.run({ [this.decoder.inputNames[0]!]: new ort.Tensor('int64', flat, [contexts.length, this.contextSize]) });
    return out[this.decoder.outputNames[0]!]!.data as Float32Array;
  }

  /** Joiner logits [N, V] for N (encoder frame, decoder output) pairs, both [N, D]. */
  async runJoiner(encoderFrames: Float32Array, decoderOut: Float32Array, n: number, dim: number): Promise<Float32Array> {
    const [e, d] = this.joiner.inputNames as [string, string];
    const out = await this.joiner.run({
      [e]: new ort.Tensor('float32', encoderFrames, [n, dim]),
      [d]: new ort.Tensor('float32', decoderOut, [n, decoderOut.length / n]),
    });
    return out[this.joiner.outputNames[0]!]!.data as Float32Array;
  }

  async release(): Promise<void> {
    await Promise.all([this.encoder.release(), this.decoder.release(), this.joiner.release()]);
  }
}
