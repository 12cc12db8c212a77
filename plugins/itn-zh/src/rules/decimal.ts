/** Decimals: "三点五" → "3.5", "零点零五" → "0.05", "负一点五" → "-1.5", "三点五亿" → "3.5亿". */
import { readQuantity } from '../numbers.js';
import type { Rule } from '../rule.js';

export const decimal: Rule = {
  category: 'decimal',
  match(text, i) {
    const negative = text[i] === '负';
    const q = readQuantity(text, negative ? i + 1 : i);
    return q && q.decimal ? { end: q.end, text: (negative ? '-' : '') + q.text } : null;
  },
};
