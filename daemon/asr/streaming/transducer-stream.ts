/**
 * A live stream through a streaming Zipformer transducer, chunk by chunk as sherpa-onnx's
 * OnlineRecognizer runs it: features are computed as audio arrives (only frames that end
 * inside the received audio until inputFinished()), the encoder takes `chunkSize` frames and
 * advances by `chunkShift`, and its states are carried to the next chunk. A chunk runs only
 * once more than `chunkSize` frames are ready, so callers flush the tail with silence
 * (tailPaddingSec()) before inputFinished().
 */
import { FbankComputer } from '../features/fbank.js';
import { numFramesReady } from '../features/fbank-options.js';
import { STREAMING_ZIPFORMER_FBANK } from '../features/presets.js';
import type { EncoderStates, StreamingZipformerModel } from '../models/streaming-zipformer.js';
import type { TransducerHypothesis, TransducerSearch } from '../decode/transducer.js';

/** Least silence appended at the end of a segment (sherpa-onnx's examples use 0.66 s). */
export const MIN_TAIL_PADDING_SEC = 0.66;

/**
 * Silence to append so the last real frame reaches a complete chunk: at least one chunk plus
 * one shift, for models with long chunks (T = 141 frames for chunk-64 exports).
 */
export function tailPaddingSec(chunkSize: number, chunkShift: number): number {
  return Math.max(MIN_TAIL_PADDING_SEC, (chunkSize + chunkShift) * 0.01);
}

/**
 * Endpoint rules (sherpa-onnx endpoint.h defaults): an utterance ends after 2.4 s of silence,
 * after 1.2 s of silence following some speech, or after 20 s in any case.
 */
export interface EndpointRules {
  silenceSec: number;
  silenceAfterSpeechSec: number;
  maxUtteranceSec: number;
}

export const DEFAULT_ENDPOINT_RULES: EndpointRules = { silenceSec: 2.4, silenceAfterSpeechSec: 1.2, maxUtteranceSec: 20 };

export class TransducerStream {
  private readonly fbank = new FbankComputer(STREAMING_ZIPFORMER_FBANK);
  private samples = new Float32Array(16000);
  private numSamples = 0;
  private feats = new Float32Array(0);
  private numFrames = 0;
  private finished = false;
  private processed = 0;
  /** Feature frames at the start of the current utterance (after the last endpoint). */
  private utteranceStartFrame = 0;
  private states: EncoderStates;

  constructor(
    private readonly model: StreamingZipformerModel,
    private readonly search: TransducerSearch,
  ) {
    this.states = model.initStates();
  }

  accept(samples: Float32Array): void {
    if (this.finished) throw new Error('accept() after inputFinished(): start a new stream');
    if (this.numSamples + samples.length > this.samples.length) {
      const grown = new Float32Array(Math.max(2 * this.samples.length, this.numSamples + samples.length));
      grown.set(this.samples.subarray(0, this.numSamples));
      this.samples = grown;
    }
    this.samples.set(samples, this.numSamples);
    this.numSamples += samples.length;
    this.computeFeatures();
  }

  inputFinished(): void {
    this.finished = true;
    this.computeFeatures();
  }

  private computeFeatures(): void {
    const ready = numFramesReady(this.numSamples, this.fbank.options, this.finished);
    if (ready <= this.numFrames) return;
    const dim = this.fbank.dim;
    if (ready * dim > this.feats.length) {
      const grown = new Float32Array(Math.max(2 * this.feats.length, ready * dim));
      grown.set(this.feats.subarray(0, this.numFrames * dim));
      this.feats = grown;
    }
    const audio = this.samples.subarray(0, this.numSamples);
    for (let f = this.numFrames; f < ready; f++) this.fbank.computeFrame(audio, f, this.feats, f * dim);
    this.numFrames = ready;
  }

  isReady(): boolean {
    return this.processed + this.model.chunkSize < this.numFrames;
  }

  /** Runs every chunk that is ready; returns how many ran. */
  async decode(): Promise<number> {
    let chunks = 0;
    const dim = this.fbank.dim;
    while (this.isReady()) {
      const x = this.feats.slice(this.processed * dim, (this.processed + this.model.chunkSize) * dim);
      this.processed += this.model.chunkShift;
      const enc = await this.model.runEncoder(x, this.states);
      this.states = enc.states;
      await this.search.push(enc.out, enc.frames, enc.dim);
      chunks++;
    }
    return chunks;
  }

  result(final = false): TransducerHypothesis {
    return this.search.best(final);
  }

  /** Seconds of the current utterance's trailing silence and length, in encoder-frame terms. */
  isEndpoint(rules: EndpointRules = DEFAULT_ENDPOINT_RULES): boolean {
    const hyp = this.search.best(false);
    const frameSec = 0.01;
    const trailing = hyp.trailingBlanks * this.model.subsampling * frameSec;
    const utterance = (this.processed - this.utteranceStartFrame) * frameSec;
    if (hyp.ids.length === 0 && trailing >= rules.silenceSec) return true;
    if (hyp.ids.length > 0 && trailing >= rules.silenceAfterSpeechSec) return true;
    return utterance >= rules.maxUtteranceSec;
  }

  /** After an endpoint: start a new utterance, keeping encoder states and decoder context. */
  restart(): void {
    this.search.restart();
    this.utteranceStartFrame = this.processed;
  }

  /** Seconds per encoder output frame. */
  get frameShiftSec(): number {
    return 0.01 * this.model.subsampling;
  }
}
