/**
 * Hotword biasing end to end through the real decoder and token table: a CTC posterior where
 * the acoustics slightly favour "kat" over "cat".
 */
import t from 'tap';
import { TokenTable } from '../../../daemon/asr/models/tokens.js';
import { buildContextGraph } from '../../../daemon/asr/recognizer.js';
import { UnspellableHotwords } from '../../../daemon/asr/decode/hotword-graph.js';
import { ctcGreedy, ctcPrefixBeamSearch, topK, type CtcMatrix } from '../../../daemon/asr/decode/ctc.js';
import { ContextGraph } from '../../../daemon/asr/decode/context-graph.js';
import { silentLogger } from '../../../daemon/log/logger.js';

const tokens = TokenTable.parse(['\u2581 0', 'c 1', 'a 2', 't 3', 'k 4', 'd 5', 'o 6', 'g 7', 'b 8', '<blk> 9'].join('\n'), 'tokens.txt');
const V = tokens.size;
const blank = tokens.blankId;

/** One frame per row: probabilities for the listed symbols, the rest shared by the others. */
function posterior(rows: Array<Record<string, number>>): CtcMatrix {
  const data = new Float32Array(rows.length * V);
  rows.forEach((row, t) => {
    const named = Object.entries(row);
    const restP = (1 - named.reduce((s, [, p]) => s + p, 0)) / (V - named.length);
    for (let v = 0; v < V; v++) data[t * V + v] = Math.log(restP);
    for (const [sym, p] of named) data[t * V + tokens.symbolToId.get(sym)!] = Math.log(p);
  });
  return { data, frames: rows.length, vocab: V };
}

// "k" narrowly beats "c" on the first frame; "a", "t" are clear.
const m = posterior([{ k: 0.45, c: 0.4 }, { '<blk>': 0.9 }, { a: 0.9 }, { '<blk>': 0.9 }, { t: 0.9 }, { '<blk>': 0.9 }]);
const text = (ids: number[]) => tokens.text(ids);

t.test('plain decoding misses the phrase', async (t) => {
  t.equal(text(ctcGreedy(m, blank).ids), 'kat');
  t.equal(text(ctcPrefixBeamSearch(m, { beamSize: 4, blankId: blank }).ids), 'kat');
});

t.test('biasing recognises a listed phrase', async (t) => {
  const graph = buildContextGraph([{ phrase: 'cat', boost: 1.5 }], tokens, new UnspellableHotwords(silentLogger));
  const hyp = ctcPrefixBeamSearch(m, { beamSize: 4, blankId: blank, context: graph });
  t.equal(text(hyp.ids), 'cat');
  t.same(hyp.matched, ['cat'], 'the match is reported');
});

t.test('a phrase not in the list is not forced', async (t) => {
  const graph = buildContextGraph([{ phrase: 'dog', boost: 1.5 }], tokens, new UnspellableHotwords(silentLogger));
  t.equal(text(ctcPrefixBeamSearch(m, { beamSize: 4, blankId: blank, context: graph }).ids), 'kat');
});

t.test('a partial match is rolled back: "cab" does not turn "kat" into "cat"', async (t) => {
  // Without rollback the c-a bonus (2 × 1.5) would keep "cat" ahead of "kat".
  const graph = buildContextGraph([{ phrase: 'cab', boost: 1.5 }], tokens, new UnspellableHotwords(silentLogger));
  const hyp = ctcPrefixBeamSearch(m, { beamSize: 4, blankId: blank, context: graph });
  t.equal(text(hyp.ids), 'kat');
  t.same(hyp.matched, []);
});

t.test('a tiny boost does not override clear acoustics', async (t) => {
  const clear = posterior([{ k: 0.9 }, { a: 0.9 }, { t: 0.9 }]);
  const graph = buildContextGraph([{ phrase: 'cat', boost: 0.5 }], tokens, new UnspellableHotwords(silentLogger));
  t.equal(text(ctcPrefixBeamSearch(clear, { beamSize: 4, blankId: blank, context: graph }).ids), 'kat');
});

t.test('context graph scores: per-token boost, failure links, banked phrases', async (t) => {
  const g = new ContextGraph([
    { tokens: [1, 2, 3], boost: 1, phrase: 'cat' },
    { tokens: [2, 3, 8], boost: 2, phrase: 'atb' },
    { tokens: [1, 2], boost: 1, phrase: 'ca' },
  ]);
  let s = g.step(g.root, 1);
  t.equal(s.delta, 1);
  s = g.step(s.state, 2);
  t.equal(s.delta, 1);
  t.equal(s.matched, 'ca', 'a shorter phrase completes on the way');
  s = g.step(s.state, 3);
  t.equal(s.matched, 'cat');
  t.equal(s.state, g.root, 'a completed leaf starts afresh');
  // c a then b: "ca" is banked (2), nothing is taken back; b starts nothing.
  let u = g.step(g.step(g.root, 1).state, 2);
  const afterB = g.step(u.state, 8);
  t.equal(afterB.delta, 0, 'the completed "ca" keeps its bonus');
  // c then a t b: c-a-t completes "cat"; only a fresh match of a-t-b would count.
  u = g.step(g.root, 5);
  t.equal(u.delta, 0, 'a token outside every phrase changes nothing');
  const partial = g.step(g.step(g.root, 2).state, 3);
  t.equal(partial.state.score, 4, 'a-t is a partial "atb" worth 2 × 2');
  t.equal(g.finish(partial.state), -4, 'an unfinished match gives its bonus back at the end');
  const broken = g.step(partial.state, 4);
  t.equal(broken.delta, -4, 'breaking the match rolls the bonus back');
});

t.test('phrases the vocabulary cannot spell are ignored', async (t) => {
  t.equal(buildContextGraph([{ phrase: 'xyz', boost: 2 }], tokens, new UnspellableHotwords(silentLogger)), null);
  t.same(tokens.encode('cat dog'), [1, 2, 3, 0, 5, 6, 7], 'words joined by the separator token');
});

t.test('topK picks the k largest, best first, keeping the first of equal values', async (t) => {
  const values = Float64Array.from([0.1, 0.9, 0.3, 0.9, -1, 0.5]);
  t.same(topK(values, 3), [1, 3, 5]);
  t.same(topK(values, 1), [1]);
  t.same(topK(values, 10), [1, 3, 5, 2, 0, 4]);
});

t.test('character vocabularies: a phrase only matches at a word start', async (t) => {
  const graph = buildContextGraph([{ phrase: 'at', boost: 2 }], tokens, new UnspellableHotwords(silentLogger))!;
  const id = (s: string) => tokens.symbolToId.get(s)!;
  const walk = (syms: string[]) => {
    let state = graph.start;
    let total = 0;
    const matched: string[] = [];
    for (const s of syms) {
      const step = graph.step(state, id(s));
      state = step.state;
      total += step.delta;
      if (step.matched) matched.push(step.matched);
    }
    return { total: total + graph.finish(state), matched };
  };
  t.same(walk(['a', 't']), { total: 4, matched: ['at'] }, 'at the start of the utterance');
  t.same(walk(['c', 'a', 't', '\u2581', 'a', 't']), { total: 4, matched: ['at'] }, 'after a separator, not inside "cat"');
  t.same(walk(['c', 'a', 't']), { total: 0, matched: [] }, '"cat" earns nothing');
});
