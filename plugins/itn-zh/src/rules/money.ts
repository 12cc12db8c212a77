/**
 * Money: "五十元" → "50元", "三块五" → "3.5元", "两块五毛" → "2.5元", "五毛钱" → "0.5元",
 * "一百美元" → "100美元", "三点五亿元" → "3.5亿元". 块 is also a measure word ("一块蛋糕"),
 * so it counts as money only with 钱, 毛/角 or a digit after it.
 */
import { readQuantity, type Quantity } from '../numbers.js';
import { DIGIT_VALUES } from '../vocabulary.js';
import type { Rule, RuleMatch } from '../rule.js';

/** Currency names written after the number as they are ("100美元"). */
const FOREIGN = ['美元', '欧元', '日元', '英镑', '港元', '港币', '韩元', '卢布', '澳元', '加元'];

/** A one-character digit 1–9 at `i` that is not the start of a longer number. */
function loneDigit(text: string, i: number): number | null {
  const d = DIGIT_VALUES[text[i] ?? ''];
  const next = text[i + 1];
  if (d === undefined || d === 0 || (next !== undefined && '十百千万亿点'.includes(next))) return null;
  return d;
}

/** 角/毛 and 分 after the yuan: returns the hundredths and where they end. */
function minor(text: string, i: number): { cents: number; end: number } | null {
  const jiao = loneDigit(text, i);
  if (jiao === null) return null;
  let end = i + 1;
  let cents = jiao * 10;
  if (text[end] === '角' || text[end] === '毛') {
    end++;
    const fen = loneDigit(text, end);
    if (fen !== null) {
      cents += fen;
      end++;
      if (text[end] === '分') end++;
    }
  }
  return { cents, end };
}

function yuan(whole: Quantity, cents: number): string {
  if (cents === 0) return `${whole.text}元`;
  return `${(whole.value + cents / 100).toFixed(cents % 10 === 0 ? 1 : 2)}元`;
}

export const money: Rule = {
  category: 'money',
  match(text, i): RuleMatch | null {
    const q = readQuantity(text, i);
    if (!q) return null;
    const j = q.end;
    const foreign = FOREIGN.find((c) => text.startsWith(c, j));
    if (foreign) return { end: j + foreign.length, text: `${q.text}${foreign}` };
    const unit = text[j];
    if (unit === '元' || unit === '块') {
      if (text[j + 1] === '钱') return { end: j + 2, text: `${q.text}元` };
      const m = q.decimal ? null : minor(text, j + 1);
      if (m) return { end: text[m.end] === '钱' ? m.end + 1 : m.end, text: yuan(q, m.cents) };
      return unit === '元' ? { end: j + 1, text: `${q.text}元` } : null;
    }
    // "五毛钱", "三毛五", "五角钱": less than one yuan. Without 钱 or a digit after it, 毛/角
    // is not money: "三角形", "三毛" (a name).
    if ((unit === '毛' || unit === '角') && !q.decimal && q.value >= 1 && q.value <= 9 && q.runLength === 1) {
      let end = j + 1;
      let cents = q.value * 10;
      const fen = loneDigit(text, end);
      if (fen !== null) {
        cents += fen;
        end++;
        if (text[end] === '分') end++;
      }
      if (text[end] === '钱') end++;
      else if (fen === null) return null;
      return { end, text: `${(cents / 100).toFixed(cents % 10 === 0 ? 1 : 2)}元` };
    }
    return null;
  },
};
