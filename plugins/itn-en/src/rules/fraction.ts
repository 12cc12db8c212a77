/**
 * Fractions: "one third" → "1/3", "three quarters" → "3/4", "two and a half" → "2 1/2".
 * "half", "a third" and "one second" stay: without a number in front, or with "second" (a
 * unit of time), the words are not a fraction.
 */
import { parseCardinal } from '../numbers.js';
import { ORDINAL_TO_CARDINAL, ONES, TEENS, TENS } from '../vocabulary.js';
import type { Rule } from '../rule.js';

/** Denominator words ("third", "quarters", "halves") and their value. */
function denominator(word: string | undefined): number | null {
  if (word === undefined) return null;
  if (word === 'half' || word === 'halves') return 2;
  if (word === 'quarter' || word === 'quarters') return 4;
  const singular = word.endsWith('s') ? word.slice(0, -1) : word;
  if (singular === 'first' || singular === 'second') return null;
  const cardinal = ORDINAL_TO_CARDINAL[singular];
  if (cardinal === undefined) return null;
  return ONES[cardinal] ?? TEENS[cardinal] ?? TENS[cardinal] ?? (cardinal === 'hundred' ? 100 : null);
}

export const fraction: Rule = {
  category: 'fraction',
  match(words, i) {
    const negative = words[i] === 'minus' || words[i] === 'negative';
    const sign = negative ? '-' : '';
    const first = parseCardinal(words, negative ? i + 1 : i);
    if (!first || first.value === 0) return null;
    // "two and a half", "five and three quarters"
    if (words[first.end] === 'and') {
      const j = first.end + 1;
      const top = words[j] === 'a' ? { value: 1, end: j + 1 } : parseCardinal(words, j);
      const bottom = top ? denominator(words[top.end]) : null;
      if (top && bottom && top.value < bottom) {
        return { end: top.end + 1, text: `${sign}${first.value} ${top.value}/${bottom}` };
      }
    }
    const bottom = denominator(words[first.end]);
    if (!bottom) return null;
    // "the one hundredth anniversary" is an ordinal; a fraction does not take "the".
    if (words[i - 1] === 'the' && first.value === 1) return null;
    // "one half" but not "one halves"; plural forms need more than one.
    const plural = words[first.end]!.endsWith('s');
    if (plural === (first.value === 1)) return null;
    return { end: first.end + 1, text: `${sign}${first.value}/${bottom}` };
  },
};
