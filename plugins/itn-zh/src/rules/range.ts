/**
 * Ranges with one unit at the end: "三到五公里" → "3到5公里", "十至二十元" → "10至20元",
 * "百分之十到二十" → "10%到20%". The unit belongs to both ends, so both are written alike;
 * without a unit each end is on its own ("五到十个" stays, as each end is one character).
 */
import { readQuantity } from '../numbers.js';
import type { Rule, RuleMatch } from '../rule.js';
import { measure } from './measure.js';
import { money } from './money.js';

const JOINERS = ['到', '至', '或'];
const UNIT_RULES: readonly Rule[] = [money, measure];

/** "百分之十到二十" → "10%到20%" */
function percentRange(text: string, i: number): RuleMatch | null {
  if (!text.startsWith('百分之', i)) return null;
  const from = readQuantity(text, i + 3);
  const joiner = from ? text[from.end] : undefined;
  if (!from || joiner === undefined || !JOINERS.includes(joiner)) return null;
  const to = readQuantity(text, from.end + 1);
  return to ? { end: to.end, text: `${from.text}%${joiner}${to.text}%`, category: 'percent' } : null;
}

export const range: Rule = {
  category: 'cardinal',
  match(text, i): RuleMatch | null {
    const percent = percentRange(text, i);
    if (percent) return percent;
    const negative = text[i] === '负';
    const from = readQuantity(text, negative ? i + 1 : i);
    const joiner = from ? text[from.end] : undefined;
    if (!from || joiner === undefined || !JOINERS.includes(joiner)) return null;
    const right = UNIT_RULES.map((rule) => ({ rule, m: rule.match(text, from.end + 1) }))
      .filter((r): r is { rule: Rule; m: RuleMatch } => r.m !== null)
      .sort((a, b) => b.m.end - a.m.end)[0];
    if (!right) return null;
    return { end: right.m.end, text: `${negative ? '-' : ''}${from.text}${joiner}${right.m.text}`, category: right.rule.category };
  },
};
