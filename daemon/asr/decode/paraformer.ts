/**
 * Paraformer (FunASR) output: one row per predicted token, read left to right until the
 * end-of-sentence token (as sherpa-onnx's OfflineParaformerGreedySearchDecoder), and FunASR's
 * text rules: a `@@` suffix glues a piece to the next one, ASCII words are separated by spaces,
 * CJK characters are not.
 */
import type { CtcMatrix } from './ctc.js';

export function paraformerGreedy(m: CtcMatrix, eosId: number): number[] {
  const ids: number[] = [];
  for (let t = 0; t < m.frames; t++) {
    const base = t * m.vocab;
    let best = 0;
    for (let v = 1; v < m.vocab; v++) if (m.data[base + v]! > m.data[base + best]!) best = v;
    if (best === eosId) break;
    ids.push(best);
  }
  return ids;
}

/** Token times from the CIF peaks (us_cif_peak) of timestamp-capable exports: 20 ms per peak index. */
export function cifPeakTimes(peaks: Float32Array, numTokens: number): number[] | null {
  const times: number[] = [];
  for (let k = 0; k < peaks.length; k++) if (peaks[k]! > 1 - 1e-4) times.push(k * 0.02);
  times.pop();
  return times.length === numTokens ? times : null;
}

const isAscii = (s: string) => s.length > 0 && s.charCodeAt(0) < 0x80;

/** Words in FunASR's joining: `he@@ llo` → "hello", `你 好` → "你好" (one word), ASCII words split. */
export function funasrWords(symbols: readonly string[]): Array<{ word: string; first: number; last: number }> {
  const words: Array<{ word: string; first: number; last: number }> = [];
  let glue = false;
  symbols.forEach((sym, i) => {
    const continues = sym.endsWith('@@');
    const piece = continues ? sym.slice(0, -2) : sym;
    const prev = words[words.length - 1];
    const joinCjk = !isAscii(piece) && prev !== undefined && !isAscii(symbols[i - 1] ?? 'a') && !glue;
    if ((glue || joinCjk) && prev) {
      prev.word += piece;
      prev.last = i;
    } else {
      words.push({ word: piece, first: i, last: i });
    }
    glue = continues;
  });
  return words;
}
