/** Percentages: "百分之五十" → "50%", "百分之三点五" → "3.5%", "负百分之二" → "-2%", "千分之五" → "5‰". */
import { readQuantity } from '../numbers.js';
import type { Rule } from '../rule.js';

export const percent: Rule = {
  category: 'percent',
  match(text, i) {
    const negative = text[i] === '负';
    const at = negative ? i + 1 : i;
    const head = text.slice(at, at + 3);
    const sign = head === '百分之' ? '%' : head === '千分之' ? '‰' : null;
    if (!sign) return null;
    // "百分之百" is 100%.
    if (text[at + 3] === '百' && !/[零一二三四五六七八九十百千万点]/.test(text[at + 4] ?? '')) {
      return sign === '%' ? { end: at + 4, text: `${negative ? '-' : ''}100%` } : null;
    }
    const q = readQuantity(text, at + 3);
    return q ? { end: q.end, text: `${negative ? '-' : ''}${q.text}${sign}` } : null;
  },
};
