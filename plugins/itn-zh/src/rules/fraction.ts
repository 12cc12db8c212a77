/** Fractions: "三分之一" → "1/3", "十分之三" → "3/10", "负二分之一" → "-1/2". */
import { readQuantity } from '../numbers.js';
import type { Rule } from '../rule.js';

export const fraction: Rule = {
  category: 'fraction',
  match(text, i) {
    const negative = text[i] === '负';
    const bottom = readQuantity(text, negative ? i + 1 : i);
    if (!bottom || bottom.decimal || bottom.value === 0 || text.slice(bottom.end, bottom.end + 2) !== '分之') return null;
    const top = readQuantity(text, bottom.end + 2);
    if (!top) return null;
    return { end: top.end, text: `${negative ? '-' : ''}${top.text}/${bottom.text}` };
  },
};
