/**
 * Cardinals: "twenty three" → "23", "minus five" → "-5", "two million" → "2 million".
 * Zero to nine stay words unless negative: "one of the best", "two cats" read better spelled
 * out (the usual style-guide rule), and it keeps "one"/"no one" idioms untouched.
 */
import { formatCardinal, parseCardinal } from '../numbers.js';
import type { Rule, RuleMatch } from '../rule.js';

/** Numbers that are names more than quantities. */
const FIXED: ReadonlyArray<[readonly string[], string]> = [
  [['twenty', 'four', 'seven'], '24/7'],
  [['nine', 'eleven'], '9/11'],
];

/**
 * "one to ten" → "1 to 10": in a range, both ends are written alike once either is 10 or
 * more ("on a scale of 1 to 10"); "three to one" stays.
 */
function range(words: readonly string[], i: number): RuleMatch | null {
  const from = parseCardinal(words, i);
  const joiner = from ? words[from.end] : undefined;
  if (!from || (joiner !== 'to' && joiner !== 'through')) return null;
  const to = parseCardinal(words, from.end + 1);
  if (!to || Math.max(from.value, to.value) < 10) return null;
  return { end: to.end, text: `${formatCardinal(from)} ${joiner} ${formatCardinal(to)}` };
}

export const cardinal: Rule = {
  category: 'cardinal',
  match(words, i) {
    for (const [spoken, written] of FIXED) {
      if (spoken.every((w, k) => words[i + k] === w)) return { end: i + spoken.length, text: written };
    }
    const span = range(words, i);
    if (span) return span;
    const negative = words[i] === 'minus' || words[i] === 'negative';
    const parsed = parseCardinal(words, negative ? i + 1 : i);
    if (!parsed) return null;
    if (negative) return parsed.value === 0 ? null : { end: parsed.end, text: '-' + formatCardinal(parsed) };
    return parsed.value >= 10 ? { end: parsed.end, text: formatCardinal(parsed) } : null;
  },
};
