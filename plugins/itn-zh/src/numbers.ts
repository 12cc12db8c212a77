/**
 * Parsers for spoken Chinese numbers. A number is read from a maximal run of numeral
 * characters, and only as a whole: "五六十" (fifty or sixty) and "三三两两" are not numbers, so
 * no part of them is rewritten either.
 */
import { BIG_UNITS, DIGIT_STRING_CHARS, DIGIT_VALUES, SMALL_UNITS, isNumeral } from './vocabulary.js';

/** Index after the run of numeral characters starting at `i` (`i` when there is none). */
export function numeralRunEnd(text: string, i: number): number {
  let j = i;
  while (isNumeral(text[j])) j++;
  return j;
}

/** A section below 10,000: "三千零五", "十五", and the colloquial "三百五" (350), "两千三" (2300). */
function parseSection(s: string, leadingTenAllowed: boolean): number | null {
  if (s === '') return null;
  let value = 0;
  let lastUnit = 10000;
  let pending: number | null = null;
  let zero = false;
  for (let k = 0; k < s.length; k++) {
    const ch = s[k]!;
    if (ch === '幺') return null;
    const digit = DIGIT_VALUES[ch];
    if (digit !== undefined) {
      if (digit === 0) {
        // 零 marks a skipped unit ("一千零五"); it may not end the number or double up.
        if (pending !== null || zero || k === s.length - 1) return null;
        zero = true;
        continue;
      }
      if (pending !== null) return null;
      if (ch === '两' && k === s.length - 1 && lastUnit !== 10000) return null;
      pending = digit;
      continue;
    }
    const unit = SMALL_UNITS[ch];
    if (unit === undefined || unit >= lastUnit) return null;
    let coefficient = pending;
    if (coefficient === null) {
      // "十五" = 15: a bare 十 only at the start.
      if (unit !== 10 || k !== 0 || !leadingTenAllowed) return null;
      coefficient = 1;
    }
    value += coefficient * unit;
    lastUnit = unit;
    pending = null;
    zero = false;
  }
  if (pending !== null) {
    // "三百五" = 350: a final digit right after 百 or 千 counts in the next unit down.
    value += !zero && lastUnit >= 100 && lastUnit < 10000 ? (pending * lastUnit) / 10 : pending;
  }
  return value;
}

/**
 * An integer in Chinese numerals: "一百二十三" → 123, "一万二" → 12000, "三亿五千万" →
 * 350000000; null when the characters do not form one number.
 */
export function parseInteger(s: string): number | null {
  if (s === '零' || s === '〇') return 0;
  let rest = s;
  let total = 0;
  for (const big of ['亿', '万'] as const) {
    const at = rest.indexOf(big);
    if (at < 0) continue;
    const head = big === '亿' ? parseInteger(rest.slice(0, at)) : parseSection(rest.slice(0, at), true);
    if (head === null || head === 0) return null;
    total += head * BIG_UNITS[big]!;
    rest = rest.slice(at + 1);
    // "一万二" = 12000: one digit after the big unit counts in its next unit down.
    if (rest.length === 1 && DIGIT_VALUES[rest] !== undefined && rest !== '零' && rest !== '〇') {
      return total + (DIGIT_VALUES[rest]! * BIG_UNITS[big]!) / 10;
    }
  }
  if (rest === '') return total;
  if (rest.includes('亿') || rest.includes('万')) return null;
  const tail = parseSection(rest, total === 0);
  if (tail === null) return null;
  return total + tail;
}

/** Digits said one by one ("一三八", "二零二五", "幺幺零"); null when another character is in it. */
export function parseDigitString(s: string): string | null {
  if (s === '') return null;
  let out = '';
  for (const ch of s) {
    if (!DIGIT_STRING_CHARS.includes(ch)) return null;
    out += String(DIGIT_VALUES[ch]);
  }
  return out;
}

/**
 * Write an integer read from `spoken`: digits without separators (the Chinese convention),
 * but a number said as "N万"/"N亿" keeps that unit: "三万" → "3万", "一亿两千万" → "1.2亿".
 */
export function formatInteger(value: number, spoken: string): string {
  const last = spoken[spoken.length - 1];
  for (const [unit, size] of [['亿', 1e8], ['万', 1e4]] as const) {
    if ((last === '亿' || last === '万') && value >= size) {
      const coefficient = value / size;
      const text = Number.isInteger(coefficient) ? String(coefficient) : String(Number(coefficient.toFixed(4)));
      if (Number(text) === coefficient) return text + unit;
    }
  }
  return String(value);
}

/** A quantity read at `i`: an integer, or a decimal with 点 ("三点五", "一点二万"). */
export interface Quantity {
  /** Written form without sign: "23", "3.5", "3万", "1.2亿". */
  text: string;
  /** Numeric value (for ranges and checks). */
  value: number;
  /** Whether the spoken form had a decimal point. */
  decimal: boolean;
  /** How many characters the integer part had; one-character numbers are often words. */
  runLength: number;
  /** The spoken integer part. */
  spoken: string;
  /** Index after the quantity. */
  end: number;
}

/**
 * Read a quantity from the numeral run at `i`, whole, or only up to `stop` when a unit that
 * starts with a numeral follows ("一百千瓦时": the run is "一百千", the number "一百").
 */
export function readQuantity(text: string, i: number, stop = Infinity): Quantity | null {
  const runEnd = Math.min(numeralRunEnd(text, i), stop);
  if (runEnd === i) return null;
  const spoken = text.slice(i, runEnd);
  const whole = parseInteger(spoken);
  if (whole === null) return null;
  if (text[runEnd] === '点') {
    const fracEnd = numeralRunEnd(text, runEnd + 1);
    const fracRun = text.slice(runEnd + 1, fracEnd);
    // "三点五" = 3.5; "三点五万" = 35000 written "3.5万".
    const big = fracRun.endsWith('万') || fracRun.endsWith('亿') ? fracRun.slice(-1) : '';
    const digits = parseDigitString(big ? fracRun.slice(0, -1) : fracRun);
    if (digits !== null && !spoken.endsWith('万') && !spoken.endsWith('亿')) {
      const scale = big === '' ? 1 : BIG_UNITS[big]!;
      const value = Number(`${whole}.${digits}`) * scale;
      return { text: `${whole}.${digits}${big}`, value, decimal: true, runLength: spoken.length, spoken, end: fracEnd };
    }
  }
  const written = formatInteger(whole, spoken);
  return { text: written, value: whole, decimal: false, runLength: spoken.length, spoken, end: runEnd };
}
