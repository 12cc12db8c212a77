/**
 * Cardinals: "twenty three" → "23", "minus five" → "-5", "two million" → "2 million".
 * Zero to nine stay words unless negative: "one of the best", "two cats" read better spelled
 * out (the usual style-guide rule), and it keeps "one"/"no one" idioms untouched.
 */
import { formatCardinal, parseCardinal } from '../numbers.js';
import type { Rule } from '../rule.js';

/** Numbers that are names more than quantities. */
const FIXED: ReadonlyArray<[readonly string[], string]> = [
  [['twenty', 'four', 'seven'], '24/7'],
  [['nine', 'eleven'], '9/11'],
];

export const cardinal: Rule = {
  category: 'cardinal',
  match(words, i) {
    for (const [spoken, written] of FIXED) {
      if (spoken.every((w, k) => words[i + k] === w)) return { end: i + spoken.length, text: written };
    }
    const negative = words[i] === 'minus' || words[i] === 'negative';
    const parsed = parseCardinal(words, negative ? i + 1 : i);
    if (!parsed) return null;
    if (negative) return parsed.value === 0 ? null : { end: parsed.end, text: '-' + formatCardinal(parsed) };
    return parsed.value >= 10 ? { end: parsed.end, text: formatCardinal(parsed) } : null;
  },
};
