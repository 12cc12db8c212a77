/**
 * Ordinals: "twenty first" → "21st", "one hundredth" → "100th". "first" to "ninth" stay words
 * on their own ("the second option", "first come first served"); dates use them all.
 */
import { formatInteger, ordinalSuffix, parseOrdinal } from '../numbers.js';
import type { Rule } from '../rule.js';

export const ordinal: Rule = {
  category: 'ordinal',
  match(words, i) {
    const parsed = parseOrdinal(words, i);
    if (!parsed || parsed.value < 10) return null;
    return { end: parsed.end, text: `${formatInteger(parsed.value)}${ordinalSuffix(parsed.value)}` };
  },
};
