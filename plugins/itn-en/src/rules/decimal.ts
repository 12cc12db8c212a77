/** Decimals: "three point one four" → "3.14", "minus zero point five" → "-0.5", "1.5 million". */
import { formatAmount, parseAmount } from '../amount.js';
import type { Rule } from '../rule.js';

export const decimal: Rule = {
  category: 'decimal',
  match(words, i) {
    const amount = parseAmount(words, i, { allowNegative: true });
    if (!amount || !amount.decimal) return null;
    return { end: amount.end, text: formatAmount(amount) };
  },
};
