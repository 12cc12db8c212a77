/**
 * Ordinals: "第十五" → "第15", "第一百名" → "第100名". "第一" to "第九" stay, as "first" to
 * "ninth" do in English: "第一次", "第三方" read as words.
 */
import { readQuantity } from '../numbers.js';
import type { Rule } from '../rule.js';

export const ordinal: Rule = {
  category: 'ordinal',
  match(text, i) {
    if (text[i] !== '第') return null;
    const q = readQuantity(text, i + 1);
    if (!q || q.decimal || q.value < 10) return null;
    return { end: q.end, text: `第${q.text}` };
  },
};
