/**
 * Times: "三点十五分" → "3:15", "下午三点半" → "下午3:30", "八点一刻" → "8:15",
 * "十点零五分三十秒" → "10:05:30", "三点钟" → "3点钟". "三点五" stays a decimal and "好一点"
 * stays a word: a bare "N点" is a time only after a time of day (下午, 晚上…) or before 钟.
 */
import { numeralRunEnd, parseInteger } from '../numbers.js';
import type { Rule, RuleMatch } from '../rule.js';

const TIMES_OF_DAY = ['凌晨', '早上', '早晨', '清晨', '上午', '中午', '下午', '傍晚', '晚上', '夜里', '半夜', '今晚', '明早'];

function two(n: number): string {
  return String(n).padStart(2, '0');
}

/** An integer `min`–`max` at `i`, read from the whole numeral run. */
function numberAt(text: string, i: number, min: number, max: number): { value: number; end: number; spoken: string } | null {
  const end = numeralRunEnd(text, i);
  if (end === i) return null;
  const spoken = text.slice(i, end);
  const n = parseInteger(spoken);
  return n !== null && n >= min && n <= max ? { value: n, end, spoken } : null;
}

export const time: Rule = {
  category: 'time',
  match(text, i): RuleMatch | null {
    const h = numberAt(text, i, 0, 24);
    if (!h || text[h.end] !== '点') return null;
    const afterDot = h.end + 1;
    const cued = TIMES_OF_DAY.some((w) => text.endsWith(w, i));
    if (text[afterDot] === '半') return { end: afterDot + 1, text: `${h.value}:30` };
    if (text.startsWith('一刻', afterDot)) return { end: afterDot + 2, text: `${h.value}:15` };
    if (text.startsWith('三刻', afterDot)) return { end: afterDot + 2, text: `${h.value}:45` };
    const m = numberAt(text, afterDot, 0, 59);
    if (m) {
      const named = text[m.end] === '分';
      // "九点五分" could be 9.5 points; a one-digit minute needs 零 ("九点零五分") or a cue.
      const twoDigit = m.value >= 10 || m.spoken.startsWith('零');
      if ((named && (twoDigit || cued)) || (!named && cued && twoDigit)) {
        let end = named ? m.end + 1 : m.end;
        let out = `${h.value}:${two(m.value)}`;
        const s = named ? numberAt(text, end, 0, 59) : null;
        if (s && text[s.end] === '秒') {
          out += `:${two(s.value)}`;
          end = s.end + 1;
        }
        return { end, text: out };
      }
      return null;
    }
    if (text[afterDot] === '钟') return { end: afterDot + 1, text: `${h.value}点钟` };
    return cued ? { end: afterDot, text: `${h.value}点` } : null;
  },
};
