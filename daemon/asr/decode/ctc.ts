/**
 * CTC decoders over a [frames, vocab] matrix of log-probabilities (or logits: greedy search
 * only needs the argmax, and beam search normalises each frame first).
 */
import { ContextGraph, type ContextNode } from './context-graph.js';

export interface CtcMatrix {
  /** Row-major [frames, vocab]; may be a view into a batched output. */
  data: Float32Array;
  frames: number;
  vocab: number;
}

export interface CtcHypothesis {
  ids: number[];
  /** Output frame at which each token was first emitted. */
  frames: number[];
  score: number;
  /** Hotword phrases completed on this hypothesis, in order. */
  matched: string[];
}

/** Best path: argmax per frame (first maximum on ties, like std::max_element), collapse repeats, drop blanks. */
export function ctcGreedy(m: CtcMatrix, blankId: number): CtcHypothesis {
  const ids: number[] = [];
  const frames: number[] = [];
  let prev = -1;
  let score = 0;
  const { data, vocab } = m;
  for (let t = 0; t < m.frames; t++) {
    const base = t * vocab;
    let best = 0;
    let bestV = data[base]!;
    for (let v = 1; v < vocab; v++) {
      const x = data[base + v]!;
      if (x > bestV) {
        bestV = x;
        best = v;
      }
    }
    score += bestV;
    if (best !== blankId && best !== prev) {
      ids.push(best);
      frames.push(t);
    }
    prev = best;
  }
  return { ids, frames, score, matched: [] };
}

function logAdd(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

interface Beam {
  ids: number[];
  frames: number[];
  /** log P(prefix, path ends in blank) and (… ends in its last token). */
  pb: number;
  pnb: number;
  ctx: ContextNode | null;
  ctxScore: number;
  matched: string[];
}

export interface PrefixBeamOptions {
  beamSize: number;
  blankId: number;
  context?: ContextGraph | null;
}

/**
 * CTC prefix beam search (Hannun et al. 2014, arXiv:1408.2873) with optional hotword context:
 * each prefix carries a context-graph state whose bonus is part of its ranking score.
 */
export function ctcPrefixBeamSearch(m: CtcMatrix, opts: PrefixBeamOptions): CtcHypothesis {
  const { blankId, beamSize } = opts;
  const graph = opts.context ?? null;
  const { vocab } = m;
  let beams: Beam[] = [{ ids: [], frames: [], pb: 0, pnb: -Infinity, ctx: graph?.start ?? null, ctxScore: 0, matched: [] }];
  const row = new Float64Array(vocab);
  const candidates = Math.min(vocab, Math.max(beamSize, 1) + 1);
  for (let t = 0; t < m.frames; t++) {
    // Normalise the frame so logits and log-probs rank prefixes the same way.
    const base = t * vocab;
    let max = -Infinity;
    for (let v = 0; v < vocab; v++) max = Math.max(max, m.data[base + v]!);
    let sum = 0;
    for (let v = 0; v < vocab; v++) sum += Math.exp(m.data[base + v]! - max);
    const lse = max + Math.log(sum);
    for (let v = 0; v < vocab; v++) row[v] = m.data[base + v]! - lse;
    // Only the best few tokens of a frame can enter the beam.
    const top = topK(row, candidates);
    if (!top.includes(blankId)) top.push(blankId);

    const next = new Map<string, Beam>();
    const get = (ids: number[], from: Beam, token: number | null): Beam => {
      const key = ids.join(',');
      let b = next.get(key);
      if (!b) {
        b = { ids, frames: from.frames, pb: -Infinity, pnb: -Infinity, ctx: from.ctx, ctxScore: from.ctxScore, matched: from.matched };
        if (token !== null) {
          b.frames = [...from.frames, t];
          if (graph && from.ctx) {
            const s = graph.step(from.ctx, token);
            b.ctx = s.state;
            b.ctxScore = from.ctxScore + s.delta;
            if (s.matched) b.matched = [...from.matched, s.matched];
          }
        }
        next.set(key, b);
      }
      return b;
    };
    for (const beam of beams) {
      const last = beam.ids.length ? beam.ids[beam.ids.length - 1]! : -1;
      for (const c of top) {
        const p = row[c]!;
        if (c === blankId) {
          const same = get(beam.ids, beam, null);
          same.pb = logAdd(same.pb, logAdd(beam.pb, beam.pnb) + p);
        } else if (c === last) {
          const same = get(beam.ids, beam, null);
          same.pnb = logAdd(same.pnb, beam.pnb + p);
          const ext = get([...beam.ids, c], beam, c);
          ext.pnb = logAdd(ext.pnb, beam.pb + p);
        } else {
          const ext = get([...beam.ids, c], beam, c);
          ext.pnb = logAdd(ext.pnb, logAdd(beam.pb, beam.pnb) + p);
        }
      }
    }
    beams = [...next.values()].sort((a, b) => rank(b) - rank(a)).slice(0, beamSize);
  }
  let best: CtcHypothesis | null = null;
  for (const b of beams) {
    const final = rank(b) + (graph && b.ctx ? graph.finish(b.ctx) : 0);
    if (!best || final > best.score) best = { ids: b.ids, frames: b.frames, score: final, matched: b.matched };
  }
  return best!;
}

/** Indices of the k largest values, best first, in one pass (vocabularies reach 25k symbols). */
export function topK(values: Float64Array, k: number): number[] {
  const idx: number[] = [];
  for (let v = 0; v < values.length; v++) {
    const x = values[v]!;
    if (idx.length === k && x <= values[idx[k - 1]!]!) continue;
    let at = idx.length === k ? k - 1 : idx.length;
    if (idx.length < k) idx.push(v);
    while (at > 0 && values[idx[at - 1]!]! < x) {
      idx[at] = idx[at - 1]!;
      at--;
    }
    idx[at] = v;
  }
  return idx;
}

function rank(b: Beam): number {
  return logAdd(b.pb, b.pnb) + b.ctxScore;
}
