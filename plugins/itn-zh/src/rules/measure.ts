/**
 * Measures: a quantity and a unit: "五公里" → "5公里", "三十摄氏度" → "30℃", "零下五度" →
 * "-5度", "三点五公斤" → "3.5公斤", "三岁" → "3岁", "一米八" → "1.8米". Even one-character numbers convert
 * here, since the unit makes them quantities; "一度" (once) is the exception.
 */
import { numeralRunEnd, parseDigitString, readQuantity, type Quantity } from '../numbers.js';
import type { Rule, RuleMatch } from '../rule.js';

/** Spoken unit → written unit; longer names first so "平方公里" wins over "公里". */
const UNITS: ReadonlyArray<[string, string]> = ([
  ['摄氏度', '℃'], ['华氏度', '℉'], ['平方公里', '平方公里'], ['平方米', '平方米'], ['立方米', '立方米'],
  ['千瓦时', '千瓦时'], ['公里', '公里'], ['千米', '千米'], ['厘米', '厘米'], ['毫米', '毫米'], ['米', '米'],
  ['公斤', '公斤'], ['千克', '千克'], ['毫克', '毫克'], ['克', '克'], ['斤', '斤'], ['吨', '吨'],
  ['毫升', '毫升'], ['升', '升'], ['千瓦', '千瓦'], ['瓦', '瓦'], ['伏特', '伏特'], ['赫兹', '赫兹'],
  ['公顷', '公顷'], ['亩', '亩'], ['英里', '英里'], ['英尺', '英尺'], ['小时', '小时'], ['分钟', '分钟'],
  ['秒钟', '秒钟'], ['秒', '秒'], ['岁', '岁'], ['倍', '倍'], ['个百分点', '个百分点'], ['度', '度'],
] as Array<[string, string]>).sort((a, b) => b[0].length - a[0].length);

function unitAt(text: string, j: number): [string, string] | undefined {
  return UNITS.find(([spoken]) => text.startsWith(spoken, j));
}

/**
 * The quantity and unit at `start`. A unit may also begin inside the numeral run: "一百千瓦时"
 * is 一百 + 千瓦时. The reading that covers more text wins; on a tie the whole run does
 * ("三千米" is 3000米).
 */
function quantityWithUnit(text: string, start: number): { q: Quantity; unit: [string, string] } | null {
  let best: { q: Quantity; unit: [string, string] } | null = null;
  const runEnd = numeralRunEnd(text, start);
  // Units begin with at most one numeral (千瓦时, 千米), so only the last split is worth trying.
  for (let k = runEnd; k > start && k >= runEnd - 1; k--) {
    const q = readQuantity(text, start, k);
    const unit = q ? unitAt(text, q.end) : undefined;
    if (q && unit && (!best || q.end + unit[0].length > best.q.end + best.unit[0].length)) best = { q, unit };
  }
  return best;
}

/**
 * "一米八" (1.8 m) and "一米七五" (1.75 m): heights say the decimals after 米 digit by digit.
 * Only one or two digits that end the numeral run count.
 */
function metersTail(text: string, j: number): { digits: string; end: number } | null {
  const end = numeralRunEnd(text, j);
  const digits = end - j <= 2 ? parseDigitString(text.slice(j, end)) : null;
  return digits ? { digits, end } : null;
}

export const measure: Rule = {
  category: 'measure',
  match(text, i): RuleMatch | null {
    const below = text.startsWith('零下', i);
    const negative = below || text[i] === '负';
    const found = quantityWithUnit(text, i + (below ? 2 : negative ? 1 : 0));
    if (!found) return null;
    const { q, unit } = found;
    if (unit[0] === '度' && q.value === 1 && !negative && !q.decimal) return null;
    const spokenTail = unit[0] === '米' && !q.decimal ? metersTail(text, q.end + 1) : null;
    if (spokenTail) return { end: spokenTail.end, text: `${negative ? '-' : ''}${q.text}.${spokenTail.digits}米` };
    return { end: q.end + unit[0].length, text: `${negative ? '-' : ''}${q.text}${unit[1]}` };
  },
};
