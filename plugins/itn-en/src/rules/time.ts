/**
 * Times of day: "two thirty p m" → "2:30 p.m.", "seven a m" → "7 a.m.", "ten o'clock" →
 * "10:00", "half past six" → "6:30", "quarter to nine" → "8:45", "at seven fifteen" →
 * "at 7:15". A bare "seven fifteen" without "at" or a.m./p.m. stays: it may be two numbers.
 */
import { parseBelow100 } from '../numbers.js';
import { ONES } from '../vocabulary.js';
import type { Rule, RuleMatch } from '../rule.js';

const ZONES = new Set(['utc', 'gmt', 'est', 'edt', 'cst', 'cdt', 'mst', 'mdt', 'pst', 'pdt', 'cet', 'cest', 'bst', 'ist', 'jst']);

interface Piece<T> { value: T; end: number }

function hour(words: readonly string[], j: number, max = 12): Piece<number> | null {
  const h = parseBelow100(words, j);
  return h && h.value >= 1 && h.value <= max ? { value: h.value, end: h.end } : null;
}

/** Minutes after the hour: "oh five", "fifteen", "forty five" (two-digit readings only). */
function minutes(words: readonly string[], j: number): Piece<number> | null {
  if (words[j] === 'oh' || words[j] === 'o') {
    const d = ONES[words[j + 1] ?? ''];
    return d !== undefined ? { value: d, end: j + 2 } : null;
  }
  const m = parseBelow100(words, j);
  return m && m.value >= 10 && m.value <= 59 ? { value: m.value, end: m.end } : null;
}

/** "a m", "am", "a.m.", "p m", "pm", "in the morning", "at night" → "a.m." / "p.m.". */
function meridiem(words: readonly string[], j: number): Piece<string> | null {
  const w = words[j];
  if (w === 'am' || w === 'pm') return { value: `${w[0]}.m.`, end: j + 1 };
  if ((w === 'a' || w === 'p') && words[j + 1] === 'm') return { value: `${w}.m.`, end: j + 2 };
  const part = (w === 'in' && words[j + 1] === 'the') ? words[j + 2] : w === 'at' ? words[j + 1] : undefined;
  if (part === 'morning') return { value: 'a.m.', end: j + 3 };
  if (part === 'afternoon' || part === 'evening') return { value: 'p.m.', end: j + 3 };
  if (part === 'night' && w === 'at') return { value: 'p.m.', end: j + 2 };
  return null;
}

/** A time zone said as a word ("utc") or letter by letter ("e s t"). */
function zone(words: readonly string[], j: number): Piece<string> | null {
  if (ZONES.has(words[j] ?? '')) return { value: words[j]!.toUpperCase(), end: j + 1 };
  for (const len of [4, 3]) {
    const letters = words.slice(j, j + len);
    if (letters.length === len && letters.every((l) => l.length === 1) && ZONES.has(letters.join(''))) {
      return { value: letters.join('').toUpperCase(), end: j + len };
    }
  }
  return null;
}

function clock(h: number, m: number): string {
  return `${h}:${String(m).padStart(2, '0')}`;
}

/** Append " a.m." and a zone when they follow at `j`. */
function withSuffix(text: string, words: readonly string[], j: number): RuleMatch {
  const mer = meridiem(words, j);
  let end = mer ? mer.end : j;
  let out = mer ? `${text} ${mer.value}` : text;
  const z = mer ? zone(words, end) : null;
  if (z) {
    out += ` ${z.value}`;
    end = z.end;
  }
  return { end, text: out };
}

/** "seven thirty p m", "seven p m", "ten o'clock" */
function hourFirst(words: readonly string[], i: number): RuleMatch | null {
  const h = hour(words, i);
  if (!h) return null;
  if (words[h.end] === "o'clock" || words[h.end] === 'oclock') {
    const mer = meridiem(words, h.end + 1);
    return mer ? withSuffix(String(h.value), words, h.end + 1) : { end: h.end + 1, text: clock(h.value, 0) };
  }
  const m = minutes(words, h.end);
  const at = m ? m.end : h.end;
  if (!meridiem(words, at)) return null;
  return withSuffix(m ? clock(h.value, m.value) : String(h.value), words, at);
}

/** "half past six", "quarter to nine", "ten past four", "twenty minutes to five" */
function relative(words: readonly string[], i: number): RuleMatch | null {
  let offset: Piece<number> | null = null;
  let named = false;
  if (words[i] === 'half') offset = { value: 30, end: i + 1 };
  else if (words[i] === 'quarter') offset = { value: 15, end: i + 1 };
  else if (words[i] === 'a' && words[i + 1] === 'quarter') offset = { value: 15, end: i + 2 };
  else {
    const n = parseBelow100(words, i);
    if (n && n.value >= 1 && n.value <= 29) {
      named = words[n.end] === 'minutes' || words[n.end] === 'minute';
      offset = { value: n.value, end: named ? n.end + 1 : n.end };
    }
  }
  if (!offset) return null;
  const direction = words[offset.end];
  // "ten to five" may be a range; "to" needs "quarter" or "minutes" to be a time.
  const quarter = words[i] === 'quarter' || words[i] === 'a';
  if (direction !== 'past' && !(direction === 'to' && (named || quarter))) return null;
  const h = hour(words, offset.end + 1);
  if (!h) return null;
  const text = direction === 'past' ? clock(h.value, offset.value) : clock(h.value === 1 ? 12 : h.value - 1, 60 - offset.value);
  return withSuffix(text, words, h.end);
}

/** "at seven fifteen" → "at 7:15" */
function atHourMinutes(words: readonly string[], i: number): RuleMatch | null {
  if (words[i] !== 'at') return null;
  const h = hour(words, i + 1);
  const m = h ? minutes(words, h.end) : null;
  if (!h || !m) return null;
  const rest = withSuffix(clock(h.value, m.value), words, m.end);
  return { end: rest.end, text: `at ${rest.text}` };
}

export const time: Rule = {
  category: 'time',
  match(words, i) {
    return [hourFirst(words, i), relative(words, i), atHourMinutes(words, i)]
      .filter((m): m is RuleMatch => m !== null)
      .sort((a, b) => b.end - a.end)[0] ?? null;
  },
};
