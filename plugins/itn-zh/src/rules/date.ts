/**
 * Dates: "二零二五年三月五日" → "2025年3月5日", "九八年" → "98年", "两千零八年" → "2008年",
 * "十二月二十五号" → "12月25号", "九零后" → "90后". A year is said digit by digit (two or four digits) or as a
 * number from 1000; "二十年" (twenty years) is a duration and only gets the cardinal rule.
 */
import { numeralRunEnd, parseDigitString, parseInteger } from '../numbers.js';
import type { Rule, RuleMatch } from '../rule.js';

interface Part { text: string; end: number }

function year(text: string, i: number): Part | null {
  const end = numeralRunEnd(text, i);
  if (text[end] !== '年') return null;
  const spoken = text.slice(i, end);
  const digits = parseDigitString(spoken);
  if (digits !== null && (digits.length === 2 || digits.length === 4)) return { text: `${digits}年`, end: end + 1 };
  const n = parseInteger(spoken);
  return n !== null && n >= 1000 && n < 3000 ? { text: `${n}年`, end: end + 1 } : null;
}

/** A number from `min` to `max` followed by one of `units` ("三月", "五号"). */
function numberBefore(text: string, i: number, units: string, min: number, max: number): Part | null {
  const end = numeralRunEnd(text, i);
  const unit = text[end];
  if (end === i || unit === undefined || !units.includes(unit)) return null;
  const n = parseInteger(text.slice(i, end));
  return n !== null && n >= min && n <= max ? { text: `${n}${unit}`, end: end + 1 } : null;
}

/** Generations by birth decade: "九零后" → "90后", "零零后" → "00后". */
function generation(text: string, i: number): RuleMatch | null {
  const end = numeralRunEnd(text, i);
  const digits = parseDigitString(text.slice(i, end));
  return digits !== null && digits.length === 2 && text[end] === '后' ? { end: end + 1, text: `${digits}后` } : null;
}

export const date: Rule = {
  category: 'date',
  match(text, i): RuleMatch | null {
    const born = generation(text, i);
    if (born) return born;
    let at = i;
    let out = '';
    const y = year(text, at);
    if (y) {
      out += y.text;
      at = y.end;
    }
    const m = numberBefore(text, at, '月', 1, 12);
    if (m) {
      out += m.text;
      at = m.end;
      // A day only after a month: "五号" alone is as often a size or a house number.
      const d = numberBefore(text, at, '日号', 1, 31);
      if (d) {
        out += d.text;
        at = d.end;
      }
    }
    return at > i ? { end: at, text: out } : null;
  },
};
