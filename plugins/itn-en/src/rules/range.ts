/**
 * Ranges: "one to ten" → "1 to 10", "ten to fifteen percent" → "10 to 15%", "between five and
 * ten dollars" → "between $5 and $10", "two or three kilometers" → "2 or 3 km". The unit said
 * once at the end belongs to both ends, so both are written alike. Without a unit, a range is
 * written in digits only when an end is 10 or more ("on a scale of 1 to 10"; "three to one"
 * and "nine to five" stay).
 */
import { formatAmount, parseAmount } from '../amount.js';
import { formatCardinal, parseCardinal } from '../numbers.js';
import type { Rule, RuleMatch } from '../rule.js';
import { measure } from './measure.js';
import { money } from './money.js';
import { percent } from './percent.js';
import { time } from './time.js';

/** Rules whose match may close a range and lend its unit to the left end. */
const UNIT_RULES: readonly Rule[] = [money, percent, measure, time];

export const range: Rule = {
  category: 'cardinal',
  match(words, i, options): RuleMatch | null {
    const between = words[i] === 'between';
    const start = between ? i + 1 : i;
    const from = parseAmount(words, start, { allowNegative: true });
    if (!from || from.scaleWord) return null;
    const joiner = words[from.end];
    if (joiner !== 'to' && joiner !== 'through' && joiner !== 'or' && !(between && joiner === 'and')) return null;
    const lead = between ? 'between ' : '';
    const right = UNIT_RULES.map((rule) => ({ rule, m: rule.match(words, from.end + 1, options) }))
      .filter((r): r is { rule: Rule; m: RuleMatch } => r.m !== null)
      .sort((a, b) => b.m.end - a.m.end)[0];
    if (right) {
      // "$10" lends "$" to the left end; "15%" and "10 km" lend nothing in front.
      const symbol = right.rule === money ? /^-?([^\d-]*)/.exec(right.m.text)![1]! : '';
      const left = from.sign + symbol + formatAmount({ ...from, sign: '' });
      return { end: right.m.end, text: `${lead}${left} ${joiner} ${right.m.text}`, category: right.rule.category };
    }
    if (joiner === 'or' || from.decimal || from.sign) return null;
    const a = parseCardinal(words, start);
    const b = parseCardinal(words, from.end + 1);
    if (!a || !b || Math.max(a.value, b.value) < 10) return null;
    return { end: b.end, text: `${lead}${formatCardinal(a)} ${joiner} ${formatCardinal(b)}` };
  },
};
