/**
 * Spoken quantities that units attach to (money, percentages, measures): a cardinal or a
 * decimal, optionally negative, written the way the unit rules need.
 */
import { formatCardinal, formatInteger, parseCardinal, parseDigitRun, type NumberParse } from './numbers.js';
import { SCALES } from './vocabulary.js';

/** A quantity ready to be written. */
export interface Amount {
  /** Written form without sign or scale: "23", "3.5", "1,200". */
  digits: string;
  /** "-" or "". */
  sign: string;
  /** "million" in "2.5 million"; "" when none. */
  scaleWord: string;
  /** Whether the spoken form had a decimal point. */
  decimal: boolean;
  /** The integer value (integer part for decimals; the coefficient for scaled amounts). */
  whole: number;
  /** Index after the last word. */
  end: number;
}

/** "and a half" and friends after a whole number, as decimals for units: "2.5 km". */
const PARTS: ReadonlyArray<[readonly string[], string]> = [
  [['and', 'a', 'half'], '5'], [['and', 'one', 'half'], '5'], [['and', 'a', 'quarter'], '25'],
  [['and', 'one', 'quarter'], '25'], [['and', 'three', 'quarters'], '75'],
];

/** "two and a half" → 2.5, with an optional scale after: "two and a half million". */
function parseWholeAndPart(words: readonly string[], i: number): Amount | null {
  const whole = parseCardinal(words, i);
  if (!whole || whole.scale) return null;
  const part = PARTS.find(([spoken]) => spoken.every((w, k) => words[whole.end + k] === w));
  if (!part) return null;
  let end = whole.end + part[0].length;
  let scaleWord = '';
  if ((SCALES[words[end] ?? ''] ?? 0) >= 1e6) scaleWord = words[end++]!;
  return { digits: `${formatInteger(whole.value)}.${part[1]}`, sign: '', scaleWord, decimal: true, whole: whole.value, end };
}

/** "three point one four", "zero point five", "one point five million". */
export function parseDecimal(words: readonly string[], i: number): Amount | null {
  const whole = parseCardinal(words, i) ?? (words[i] === 'oh' ? { value: 0, end: i + 1 } : null);
  if (!whole || whole.scale || words[whole.end] !== 'point') return null;
  const fraction = parseDigitRun(words, whole.end + 1);
  if (fraction.digits === '') return null;
  let end = fraction.end;
  let scaleWord = '';
  const next = words[end] ?? '';
  if ((SCALES[next] ?? 0) >= 1e6) {
    scaleWord = next;
    end++;
  }
  return { digits: `${formatInteger(whole.value)}.${fraction.digits}`, sign: '', scaleWord, decimal: true, whole: whole.value, end };
}

function fromCardinal(p: NumberParse): Amount {
  const scaled = p.scale !== undefined;
  return {
    digits: scaled ? p.scale!.coefficient : formatCardinal(p),
    sign: '',
    scaleWord: scaled ? p.scale!.word : '',
    decimal: false,
    whole: scaled ? Number(p.scale!.coefficient) : p.value,
    end: p.end,
  };
}

/** Options of {@link parseAmount}. */
export interface AmountOptions {
  /** Accept "a hundred", "a million" (only before a unit, where "a" is unambiguous). */
  allowA?: boolean;
  /** Accept "minus five", "negative two point five". */
  allowNegative?: boolean;
  /** Accept "point five" (= 0.5); only before a unit, since "point" alone is mostly the noun. */
  allowBarePoint?: boolean;
}

/** "point five" → 0.5 */
function parseBarePoint(words: readonly string[], i: number): Amount | null {
  if (words[i] !== 'point') return null;
  const fraction = parseDigitRun(words, i + 1);
  if (fraction.digits === '') return null;
  return { digits: `0.${fraction.digits}`, sign: '', scaleWord: '', decimal: true, whole: 0, end: fraction.end };
}

/** The longest decimal or cardinal amount at `i`. */
export function parseAmount(words: readonly string[], i: number, options: AmountOptions = {}): Amount | null {
  let start = i;
  let sign = '';
  if (options.allowNegative && (words[i] === 'minus' || words[i] === 'negative')) {
    sign = '-';
    start++;
  }
  const decimal = parseDecimal(words, start) ?? parseWholeAndPart(words, start) ?? (options.allowBarePoint ? parseBarePoint(words, start) : null);
  const cardinalParse = parseCardinal(words, start, options.allowA === true);
  const amount = decimal ?? (cardinalParse ? fromCardinal(cardinalParse) : null);
  return amount ? { ...amount, sign } : null;
}

/** "-3.5 million" from an amount. */
export function formatAmount(a: Amount): string {
  return a.sign + a.digits + (a.scaleWord ? ` ${a.scaleWord}` : '');
}
