/** Percentages: "fifty percent" → "50%", "three point five per cent" → "3.5%". */
import { formatAmount, parseAmount } from '../amount.js';
import type { Rule } from '../rule.js';

export const percent: Rule = {
  category: 'percent',
  match(words, i) {
    const amount = parseAmount(words, i, { allowNegative: true, allowA: true, allowBarePoint: true });
    if (!amount || amount.scaleWord) return null;
    let end = amount.end;
    if (words[end] === 'percent') end += 1;
    else if (words[end] === 'per' && words[end + 1] === 'cent') end += 2;
    else return null;
    return { end, text: `${formatAmount(amount)}%` };
  },
};
