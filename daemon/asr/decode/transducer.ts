/**
 * Transducer search over encoder frames, carried across streaming chunks:
 *  - greedy: at most one symbol per frame, the decoder re-run only after an emission
 *    (as sherpa-onnx's OnlineTransducerGreedySearchDecoder);
 *  - modified beam search (Kang et al., arXiv:2211.00484; one symbol per frame, the best
 *    `beamSize` (hypothesis, token) pairs kept, equal token sequences merged), with optional
 *    hotword context graph.
 * Token 0 is blank and `<unk>` is never emitted, as in icefall.
 */
import { ContextGraph, type ContextNode } from './context-graph.js';
import { topK } from './ctc.js';
import type { StreamingZipformerModel } from '../models/streaming-zipformer.js';

export interface TransducerHypothesis {
  /** Emitted token ids (without the decoder's start context). */
  ids: number[];
  /** Encoder frame of each emitted token, counted from the start of the stream. */
  frames: number[];
  score: number;
  matched: string[];
  /** Encoder frames since the last emitted token (for endpointing). */
  trailingBlanks: number;
}

export interface TransducerSearch {
  /** Consumes encoder frames [frames, dim] of the next chunk. */
  push(encoderOut: Float32Array, frames: number, dim: number): Promise<void>;
  best(final: boolean): TransducerHypothesis;
  /** Forgets emitted tokens but keeps the last `contextSize` as decoder context (after an endpoint). */
  restart(): void;
}

function argmax(v: Float32Array, from: number, n: number): number {
  let best = 0;
  let bestV = v[from]!;
  for (let i = 1; i < n; i++) if (v[from + i]! > bestV) ((bestV = v[from + i]!), (best = i));
  return best;
}

function startContext(size: number): number[] {
  // sherpa-onnx: [-1, ..., -1, blank]; icefall decoders clamp -1 to blank.
  return [...new Array<number>(size - 1).fill(-1), 0];
}

export class TransducerGreedy implements TransducerSearch {
  private ys: number[];
  private frames: number[] = [];
  private decoderOut: Float32Array | null = null;
  private frameOffset = 0;
  private trailingBlanks = 0;
  private score = 0;

  constructor(private readonly model: StreamingZipformerModel) {
    this.ys = startContext(model.contextSize);
  }

  private context(): number[] {
    return this.ys.slice(this.ys.length - this.model.contextSize);
  }

  async push(enc: Float32Array, frames: number, dim: number): Promise<void> {
    const m = this.model;
    this.decoderOut ??= await m.runDecoder([this.context()]);
    for (let t = 0; t < frames; t++) {
      const logits = await m.runJoiner(enc.subarray(t * dim, (t + 1) * dim), this.decoderOut, 1, dim);
      const y = argmax(logits, 0, m.vocabSize);
      if (y !== m.blankId && y !== m.unkId) {
        this.ys.push(y);
        this.frames.push(t + this.frameOffset);
        this.trailingBlanks = 0;
        this.score += logits[y]!;
        this.decoderOut = await m.runDecoder([this.context()]);
      } else {
        this.trailingBlanks++;
      }
    }
    this.frameOffset += frames;
  }

  best(): TransducerHypothesis {
    return { ids: this.ys.slice(this.model.contextSize), frames: [...this.frames], score: this.score, matched: [], trailingBlanks: this.trailingBlanks };
  }

  restart(): void {
    const keep = this.context();
    this.ys = keep;
    this.frames = [];
    this.trailingBlanks = 0;
  }
}

interface BeamHyp {
  ys: number[];
  frames: number[];
  logProb: number;
  ctx: ContextNode | null;
  matched: string[];
  trailingBlanks: number;
}

function logAdd(a: number, b: number): number {
  const m = Math.max(a, b);
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}

export class TransducerModifiedBeam implements TransducerSearch {
  private hyps: BeamHyp[];
  private frameOffset = 0;

  constructor(
    private readonly model: StreamingZipformerModel,
    private readonly beamSize: number,
    private readonly graph: ContextGraph | null,
  ) {
    this.hyps = [{ ys: startContext(model.contextSize), frames: [], logProb: 0, ctx: graph?.start ?? null, matched: [], trailingBlanks: 0 }];
  }

  async push(enc: Float32Array, frames: number, dim: number): Promise<void> {
    const m = this.model;
    const V = m.vocabSize;
    const C = m.contextSize;
    for (let t = 0; t < frames; t++) {
      const n = this.hyps.length;
      const decoderOut = await m.runDecoder(this.hyps.map((h) => h.ys.slice(h.ys.length - C)));
      const frame = enc.subarray(t * dim, (t + 1) * dim);
      const repeated = new Float32Array(n * dim);
      for (let i = 0; i < n; i++) repeated.set(frame, i * dim);
      const logits = await m.runJoiner(repeated, decoderOut, n, dim);
      // log-softmax per hypothesis, plus the hypothesis score
      const scores = new Float64Array(n * V);
      for (let i = 0; i < n; i++) {
        let max = -Infinity;
        for (let v = 0; v < V; v++) max = Math.max(max, logits[i * V + v]!);
        let sum = 0;
        for (let v = 0; v < V; v++) sum += Math.exp(logits[i * V + v]! - max);
        const lse = max + Math.log(sum);
        for (let v = 0; v < V; v++) scores[i * V + v] = logits[i * V + v]! - lse + this.hyps[i]!.logProb;
      }
      const next = new Map<string, BeamHyp>();
      for (const k of topK(scores, this.beamSize)) {
        const prev = this.hyps[Math.floor(k / V)]!;
        const token = k % V;
        let hyp: BeamHyp;
        if (token !== m.blankId && token !== m.unkId) {
          let bonus = 0;
          let ctx = prev.ctx;
          let matched = prev.matched;
          if (this.graph && ctx) {
            const s = this.graph.step(ctx, token);
            bonus = s.delta;
            ctx = s.state;
            if (s.matched) matched = [...matched, s.matched];
          }
          hyp = { ys: [...prev.ys, token], frames: [...prev.frames, t + this.frameOffset], logProb: scores[k]! + bonus, ctx, matched, trailingBlanks: 0 };
        } else {
          hyp = { ...prev, logProb: scores[k]!, trailingBlanks: prev.trailingBlanks + 1 };
        }
        const key = hyp.ys.join(',');
        const same = next.get(key);
        if (same) same.logProb = logAdd(same.logProb, hyp.logProb);
        else next.set(key, hyp);
      }
      this.hyps = [...next.values()];
    }
    this.frameOffset += frames;
  }

  best(final: boolean): TransducerHypothesis {
    let best: BeamHyp | null = null;
    let bestScore = -Infinity;
    for (const h of this.hyps) {
      // Length-normalised, as sherpa-onnx picks its result; an unfinished hotword gives its bonus back at the end.
      const s = (h.logProb + (final && this.graph && h.ctx ? this.graph.finish(h.ctx) : 0)) / h.ys.length;
      if (s > bestScore) ((bestScore = s), (best = h));
    }
    const b = best!;
    return { ids: b.ys.slice(this.model.contextSize), frames: b.frames, score: b.logProb, matched: b.matched, trailingBlanks: b.trailingBlanks };
  }

  restart(): void {
    const C = this.model.contextSize;
    this.hyps = this.hyps.map((h) => ({ ...h, ys: h.ys.slice(h.ys.length - C), frames: [], ctx: this.graph?.start ?? null, matched: [], trailingBlanks: 0 }));
  }
}
