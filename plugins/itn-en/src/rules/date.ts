/**
 * Dates: "the first of march twenty twenty five" → "March 1, 2025", "march fifth" →
 * "March 5", "july nineteen sixty nine" → "July 1969", and years alone: "nineteen ninety nine"
 * → "1999". The article of "the first of march" goes with the day it introduces, so
 * "on the first of march" reads "on March 1". "march" and "may" alone stay words.
 */
import { parseBelow100, parseCardinal, parseOrdinal, parseYear, parseYearPair, type NumberParse } from '../numbers.js';
import { DECADES, MONTHS } from '../vocabulary.js';
import type { EnglishItnOptions, Rule, RuleMatch } from '../rule.js';

/** Months that are also common words; they need an ordinal day or a year to count. */
const AMBIGUOUS_MONTHS = new Set(['march', 'may']);

interface DateParts { month?: number; day?: number; year?: number; end: number }

function capital(month: number): string {
  const name = MONTHS[month - 1]!;
  return name[0]!.toUpperCase() + name.slice(1);
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** Write a date in the configured style. */
export function formatDate(p: DateParts, options: EnglishItnOptions): string {
  if (p.month === undefined) return String(p.year);
  if (options.dateFormat === 'ISO' && p.year !== undefined) {
    return p.day === undefined ? `${p.year}-${pad(p.month)}` : `${p.year}-${pad(p.month)}-${pad(p.day)}`;
  }
  if (p.day === undefined) return `${capital(p.month)} ${p.year}`;
  const year = p.year === undefined ? '' : p.year;
  if (options.dateFormat === 'DMY') return `${p.day} ${capital(p.month)}${year === '' ? '' : ` ${year}`}`;
  return `${capital(p.month)} ${p.day}${year === '' ? '' : `, ${year}`}`;
}

function month(words: readonly string[], j: number): number | null {
  const m = MONTHS.indexOf(words[j] ?? '');
  return m < 0 ? null : m + 1;
}

function validDay(p: NumberParse | null): NumberParse | null {
  return p && p.value >= 1 && p.value <= 31 ? p : null;
}

/** "[the] first of march [year]" */
function dayOfMonth(words: readonly string[], i: number): DateParts | null {
  const start = words[i] === 'the' ? i + 1 : i;
  const day = validDay(parseOrdinal(words, start));
  if (!day || words[day.end] !== 'of') return null;
  const m = month(words, day.end + 1);
  if (m === null) return null;
  const year = parseYear(words, day.end + 2);
  return { month: m, day: day.value, ...(year ? { year: year.value } : {}), end: year ? year.end : day.end + 2 };
}

/** "march [the] first [year]", "march five twenty twenty" */
function monthDay(words: readonly string[], i: number): DateParts | null {
  const m = month(words, i);
  if (m === null) return null;
  const the = words[i + 1] === 'the';
  const at = the ? i + 2 : i + 1;
  const ordinalDay = validDay(parseOrdinal(words, at));
  const cardinalDay = the ? null : validDay(parseCardinal(words, at));
  const candidates: DateParts[] = [];
  for (const [day, isOrdinal] of [[ordinalDay, true], [cardinalDay, false]] as const) {
    if (!day) continue;
    const year = parseYear(words, day.end);
    if (!isOrdinal && !year && AMBIGUOUS_MONTHS.has(words[i]!)) continue;
    candidates.push({ month: m, day: day.value, ...(year ? { year: year.value } : {}), end: year ? year.end : day.end });
  }
  return candidates.sort((a, b) => b.end - a.end)[0] ?? null;
}

/** "july nineteen sixty nine" */
function monthYear(words: readonly string[], i: number): DateParts | null {
  const m = month(words, i);
  const year = m === null ? null : parseYear(words, i + 1);
  return m !== null && year ? { month: m, year: year.value, end: year.end } : null;
}

/** "nineteen nineties" → "1990s", "eighteen hundreds" → "1800s", "two thousands" → "2000s". */
function decade(words: readonly string[], i: number): RuleMatch | null {
  if (words[i] === 'two' && words[i + 1] === 'thousands') return { end: i + 2, text: '2000s' };
  const century = parseBelow100(words, i);
  // "the eighteen hundreds" → "the 1800s"
  if (century && century.value >= 10 && century.value <= 20 && words[century.end] === 'hundreds') {
    return { end: century.end + 1, text: `${century.value * 100}s` };
  }
  const tens = century ? DECADES[words[century.end] ?? ''] : undefined;
  if (!century || tens === undefined || century.value < 13 || century.value > 20) return null;
  return { end: century.end + 1, text: `${century.value * 100 + tens}s` };
}

/** A year alone, only in the two-pair reading that no cardinal has: "nineteen ninety nine". */
function yearAlone(words: readonly string[], i: number): DateParts | null {
  const year = parseYearPair(words, i);
  // 1300–2099: below that the first half is a clock hour ("twelve thirty" is a time) and
  // "thirty forty" is not a year.
  return year && year.value >= 1300 && year.value < 2100 ? { year: year.value, end: year.end } : null;
}

export const date: Rule = {
  category: 'date',
  match(words, i, options): RuleMatch | null {
    const found = [dayOfMonth(words, i), monthDay(words, i), monthYear(words, i), yearAlone(words, i)]
      .filter((p): p is DateParts => p !== null)
      .sort((a, b) => b.end - a.end)[0];
    const written = found ? { end: found.end, text: formatDate(found, options) } : null;
    const decades = decade(words, i);
    return decades && (!written || decades.end > written.end) ? decades : written;
  },
};
