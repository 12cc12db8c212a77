/**
 * Cardinals: "一百二十三" → "123", "负五" → "-5", "三万" → "3万". A number of one character
 * stays ("三个人", "一起", "十分好"): alone it is as often a word as a number, the same choice
 * WeTextProcessing makes by default. Approximations with 几 ("二十几", "几十万") stay too.
 */
import { readQuantity } from '../numbers.js';
import type { Rule } from '../rule.js';

export const cardinal: Rule = {
  category: 'cardinal',
  match(text, i) {
    const negative = text[i] === '负';
    const q = readQuantity(text, negative ? i + 1 : i);
    if (!q || q.decimal) return null;
    if (text[i - 1] === '几' || text[q.end] === '几') return null;
    if (!negative && q.runLength < 2) return null;
    return { end: q.end, text: (negative ? '-' : '') + q.text };
  },
};
