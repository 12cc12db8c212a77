/**
 * The English inverse text normalizer: finds spoken numbers, dates, times, money and
 * measures and writes them as a reader expects, leaving every other character as it was.
 */
import { tokenize, type Token } from './tokens.js';
import { canStartMatch, isNumberWord } from './vocabulary.js';
import { RULES } from './rules.js';
import type { Category, EnglishItnOptions } from './rule.js';
import { defaultOptions } from './defaults.js';
import { applyTextEdits } from '@earshot/sdk';

/** One rewrite in the input text. */
export interface TextEdit {
  /** Offset of the first replaced character. */
  start: number;
  /** Offset after the last replaced character. */
  end: number;
  /** The written form. */
  text: string;
  /** Which rule made it. */
  category: Category;
}

/**
 * Whether a hyphen ties a number to a unit inside `[from, to)`: "a twenty-dollar bill", "a
 * two-inch nail" are adjectives, written "20-dollar", "two-inch", not "$20 bill".
 */
function compoundAdjective(clause: readonly Token[], from: number, to: number): boolean {
  for (let k = from + 1; k < to; k++) if (clause[k]!.hyphenated && !isNumberWord(clause[k]!.word)) return true;
  return false;
}

/**
 * Find the rewrites for `text`: at each word the longest match of any rule wins (ties go to
 * the rule listed first); words no rule matches are left alone.
 */
export function findEdits(text: string, options: EnglishItnOptions = defaultOptions()): TextEdit[] {
  const edits: TextEdit[] = [];
  for (const clause of tokenize(text)) {
    const words = clause.map((t) => t.word);
    let i = 0;
    while (i < words.length) {
      if (!canStartMatch(words[i]!)) {
        i++;
        continue;
      }
      let best: { end: number; text: string; category: Category } | null = null;
      for (const rule of RULES) {
        const m = rule.match(words, i, options);
        if (!m || m.end <= i || (best && m.end <= best.end)) continue;
        if ((rule.category === 'money' || rule.category === 'measure') && compoundAdjective(clause, i, m.end)) continue;
        best = { end: m.end, text: m.text, category: m.category ?? rule.category };
      }
      if (!best) {
        i++;
        continue;
      }
      edits.push({ start: clause[i]!.start, end: clause[best.end - 1]!.end, text: best.text, category: best.category });
      i = best.end;
    }
  }
  return edits;
}

/** Apply edits (sorted, not overlapping) to `text`. */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  return applyTextEdits(text, edits);
}

/**
 * Normalize English text: "twenty three dollars and fifty cents" → "$23.50".
 * @example normalizeEnglish('the first of march twenty twenty five') // 'March 1, 2025'
 */
export function normalizeEnglish(text: string, options: Partial<EnglishItnOptions> = {}): string {
  return applyEdits(text, findEdits(text, { ...defaultOptions(), ...options }));
}
