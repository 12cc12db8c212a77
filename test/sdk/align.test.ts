import t from 'tap';
import { applyWordEdits, joinTokens, realignWords, splitTokens } from '@earshot/sdk';
import type { TimedWord } from '@earshot/sdk';

/** Words one second apart: "a b c" → a [0,1], b [1,2], c [2,3]. */
function timed(text: string, sep = ' '): TimedWord[] {
  const parts = sep ? text.split(sep) : [...text];
  return parts.map((w, i) => ({ text: w, start: i, end: i + 1, confidence: 0.9 - i * 0.01 }));
}

t.test('splitTokens separates Han characters and keeps Latin words whole', async (t) => {
  t.same(splitTokens('2025年3月5日 ok  $23.50'), ['2025', '年', '3', '月', '5', '日', 'ok', '$23.50']);
  t.same(splitTokens('  '), []);
});

t.test('joinTokens puts spaces only between unspaced-script neighbours', async (t) => {
  t.equal(joinTokens(['2025', '年', '3', '月']), '2025年3月');
  t.equal(joinTokens(['paid', '$23.50', 'today']), 'paid $23.50 today');
  t.equal(joinTokens(['你好', 'world']), '你好world');
});

t.test('realignWords keeps unchanged words and gives a rewrite the span it replaced', async (t) => {
  const before = timed('i paid twenty three dollars today');
  const after = realignWords(before, 'i paid $23 today');
  t.same(after.map((w) => w.text), ['i', 'paid', '$23', 'today']);
  t.same(after[2], { text: '$23', start: 2, end: 5, confidence: 0.9 - 4 * 0.01 });
  t.same(after[3], { ...before[5], text: 'today' });
  t.same(after[0], before[0]);
});

t.test('realignWords on Chinese characters', async (t) => {
  const before = timed('二零二五年三月', '');
  const after = realignWords(before, '2025年3月');
  t.same(after.map((w) => [w.text, w.start, w.end]), [
    ['2025', 0, 4],
    ['年', 4, 5],
    ['3', 5, 6],
    ['月', 6, 7],
  ]);
});

t.test('realignWords shares a span among several new tokens and handles insertions', async (t) => {
  const before = timed('alpha beta');
  const split = realignWords(before, 'x y beta');
  t.same(split.map((w) => [w.text, w.start, w.end]), [['x', 0, 0.5], ['y', 0.5, 1], ['beta', 1, 2]]);
  const inserted = realignWords(before, 'alpha beta !');
  t.same(inserted.at(-1), { text: '!', start: 2, end: 2 });
  t.same(realignWords([], 'anything'), []);
  t.same(realignWords(before, ''), []);
});

t.test('applyWordEdits replaces index ranges and rejects overlaps', async (t) => {
  const words = timed('on the first of march');
  const out = applyWordEdits(words, [{ from: 1, to: 5, text: 'March 1' }]);
  t.equal(out.text, 'on March 1');
  t.same(out.words.map((w) => [w.text, w.start, w.end]), [['on', 0, 1], ['March', 1, 3], ['1', 3, 5]]);
  t.throws(() => applyWordEdits(words, [{ from: 0, to: 2, text: 'a' }, { from: 1, to: 3, text: 'b' }]), RangeError);
  t.throws(() => applyWordEdits(words, [{ from: 4, to: 9, text: 'a' }]), /outside the 5 words/);
  t.equal(applyWordEdits(words, [{ from: 0, to: 2, text: '' }]).text, 'first of march');
});

t.test('applyTextEdits rewrites only the given spans, in order', async (t) => {
  const { applyTextEdits } = await import('@earshot/sdk');
  const text = 'pay twenty three dollars on the first of march';
  const edits = [
    { start: 4, end: 24, text: '$23' },
    { start: 28, end: 46, text: 'March 1' },
  ];
  t.equal(applyTextEdits(text, edits), 'pay $23 on March 1');
  t.equal(applyTextEdits(text, []), text);
});
