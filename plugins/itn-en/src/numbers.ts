/**
 * Parsers for spoken English numbers over a clause's lower-cased words. Each returns the value
 * and the index after the last word it used, or null; none of them looks past `words`.
 */
import { DIGITS, ONES, ORDINAL_TO_CARDINAL, SCALES, TEENS, TENS } from './vocabulary.js';

/** A parsed number: its value and the index after its last word. */
export interface NumberParse {
  value: number;
  end: number;
  /**
   * Set when the number is one group followed by a scale of a million or more ("two million");
   * such numbers are written "2 million" rather than "2,000,000".
   */
  scale?: { coefficient: string; word: string };
}

/** 0–99: "seven", "fifteen", "twenty", "twenty three". */
export function parseBelow100(words: readonly string[], i: number): NumberParse | null {
  const w = words[i];
  if (w === undefined) return null;
  const tens = TENS[w];
  if (tens !== undefined) {
    const ones = ONES[words[i + 1] ?? ''];
    return ones !== undefined ? { value: tens + ones, end: i + 2 } : { value: tens, end: i + 1 };
  }
  const small = TEENS[w] ?? ONES[w];
  return small !== undefined ? { value: small, end: i + 1 } : null;
}

/** A group below 1000 ("three hundred and five"), or "twelve hundred" style (flagged). */
function parseGroup(words: readonly string[], i: number, allowA: boolean): (NumberParse & { hundreds?: boolean }) | null {
  let head = parseBelow100(words, i);
  if (!head && allowA && words[i] === 'a' && words[i + 1] === 'hundred') head = { value: 1, end: i + 1 };
  if (!head) return null;
  if (words[head.end] !== 'hundred') return head;
  let value = head.value * 100;
  let end = head.end + 1;
  const tail = words[end] === 'and' ? parseBelow100(words, end + 1) : parseBelow100(words, end);
  if (tail && tail.value > 0) {
    value += tail.value;
    end = tail.end;
  }
  // "twelve hundred" = 1200 reads as a whole number and takes no scale after it.
  return { value, end, hundreds: head.value >= 10 };
}

/**
 * A cardinal number: "zero", "forty two", "one hundred and five", "two thousand twenty",
 * "three million four hundred thousand". With `allowA`, "a hundred" / "a million" count as one
 * (used only where a unit follows, as in "a million dollars").
 */
export function parseCardinal(words: readonly string[], i: number, allowA = false): NumberParse | null {
  if (words[i] === 'zero') return { value: 0, end: i + 1 };
  let group = parseGroup(words, i, allowA);
  if (!group && allowA && words[i] === 'a' && SCALES[words[i + 1] ?? ''] !== undefined) group = { value: 1, end: i + 1 };
  if (!group) return null;
  let total = 0;
  let lastScale = Infinity;
  let groups = 0;
  const firstGroup = group;
  for (;;) {
    const scaleWord = words[group.end] ?? '';
    const scale = SCALES[scaleWord];
    if (scale === undefined || scale >= lastScale || group.hundreds || group.value === 0) {
      return { value: total + group.value, end: group.end };
    }
    total += group.value * scale;
    lastScale = scale;
    groups++;
    const afterScale = group.end + 1;
    let next = parseGroup(words, afterScale, false);
    if (!next && words[afterScale] === 'and') {
      const tail = parseBelow100(words, afterScale + 1);
      if (tail && tail.value > 0) next = tail;
    }
    if (!next || next.value === 0) {
      const result: NumberParse = { value: total, end: afterScale };
      if (groups === 1 && scale >= 1e6) result.scale = { coefficient: String(firstGroup.value), word: scaleWord };
      return result;
    }
    group = next;
  }
}

/** Ordinal suffix for a number: 1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st. */
export function ordinalSuffix(n: number): string {
  const lastTwo = n % 100;
  if (lastTwo >= 11 && lastTwo <= 13) return 'th';
  return ['th', 'st', 'nd', 'rd'][n % 10] ?? 'th';
}

/** An ordinal: "first", "twenty third", "one hundredth", "two thousand and first". */
export function parseOrdinal(words: readonly string[], i: number): NumberParse | null {
  // Find the ordinal word that closes the number, read it as its cardinal, and check that
  // the words up to it form exactly one cardinal.
  for (let k = i; k < words.length && k < i + 12; k++) {
    const asCardinal = ORDINAL_TO_CARDINAL[words[k]!];
    if (asCardinal === undefined) continue;
    const prefix = words.slice(i, k);
    // "hundredth" alone is "one hundredth".
    const needsOne = prefix.length === 0 && (asCardinal === 'hundred' || SCALES[asCardinal] !== undefined);
    const reading = [...(needsOne ? ['one'] : []), ...prefix, asCardinal];
    const parsed = parseCardinal(reading, 0);
    if (parsed && parsed.end === reading.length) return { value: parsed.value, end: k + 1 };
    return null;
  }
  return null;
}

/** Digits spoken one by one, with "double"/"triple": "five five oh double two" → "55022". */
export function parseDigitRun(words: readonly string[], i: number): { digits: string; end: number } {
  let digits = '';
  let j = i;
  for (;;) {
    const w = words[j];
    if (w === undefined) break;
    const repeat = w === 'double' ? 2 : w === 'triple' ? 3 : 1;
    const d = DIGITS[repeat > 1 ? (words[j + 1] ?? '') : w];
    if (d === undefined || (w === 'o' && digits === '')) break;
    digits += d.repeat(repeat);
    j += repeat > 1 ? 2 : 1;
  }
  return { digits, end: j };
}

/**
 * A year as people say it: "nineteen ninety nine", "twenty twenty five", "nineteen oh five",
 * "nineteen hundred" (first half 10–99 read as two digits).
 */
export function parseYearPair(words: readonly string[], i: number): NumberParse | null {
  const high = parseBelow100(words, i);
  if (!high || high.value < 10) return null;
  const next = words[high.end];
  if (next === 'hundred') return { value: high.value * 100, end: high.end + 1 };
  if (next === 'oh' || next === 'o') {
    const d = ONES[words[high.end + 1] ?? ''];
    return d !== undefined ? { value: high.value * 100 + d, end: high.end + 2 } : null;
  }
  const low = parseBelow100(words, high.end);
  if (!low || low.value < 10) return null;
  return { value: high.value * 100 + low.value, end: low.end };
}

/** A year in a date: a year pair, or a cardinal from 1000 to 2999 ("two thousand five"). */
export function parseYear(words: readonly string[], i: number): NumberParse | null {
  const pair = parseYearPair(words, i);
  const cardinal = parseCardinal(words, i);
  const plain = cardinal && cardinal.value >= 1000 && cardinal.value < 3000 ? { value: cardinal.value, end: cardinal.end } : null;
  if (pair && (!plain || pair.end >= plain.end)) return pair;
  return plain;
}

/** Write an integer: no separator below 10,000 (years, "1200"), commas from there up. */
export function formatInteger(n: number): string {
  const s = String(Math.abs(n));
  const body = Math.abs(n) < 10000 ? s : s.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return (n < 0 ? '-' : '') + body;
}

/** Write a cardinal parse: "2 million" for a round scale, digits otherwise. */
export function formatCardinal(p: NumberParse): string {
  return p.scale ? `${p.scale.coefficient} ${p.scale.word}` : formatInteger(p.value);
}
