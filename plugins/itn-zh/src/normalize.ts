/**
 * The Chinese inverse text normalizer: finds spoken numbers, dates, times, money and
 * measures and writes them in Arabic digits, leaving every other character as it was.
 */
import { RULES } from './rules.js';
import type { Category } from './rule.js';
import { isNumeral } from './vocabulary.js';
import { idiomRanges } from './idioms.js';
import { hasTraditional, simplifiedView, traditionalForm } from './script.js';
import { applyTextEdits } from '@earshot/sdk';

/** One rewrite in the input text. */
export interface TextEdit {
  start: number;
  end: number;
  text: string;
  category: Category;
}

/**
 * Find the rewrites for `text`. Rules are asked only where no numeral run is under way, so a
 * number is read whole or not at all ("五六十" does not become "五60"); at each such position
 * the longest match wins, ties go to the rule listed first. Nothing inside a set phrase
 * ("九牛一毛", see idioms.ts) is rewritten. Traditional characters are read through
 * script.ts and written back in kind.
 */
export function findEdits(original: string): TextEdit[] {
  const text = simplifiedView(original);
  const edits: TextEdit[] = [];
  const idioms = idiomRanges(text);
  const inIdiom = (start: number, end: number): boolean => idioms.some(([a, b]) => start < b && end > a);
  let i = 0;
  let lastEnd = 0;
  while (i < text.length) {
    // Inside a numeral run, or right after "N点" that no rule could read ("三点二十"):
    // rewriting the rest alone would cut a number in two.
    const inRun = isNumeral(text[i - 1]) || (text[i - 1] === '点' && isNumeral(text[i - 2]));
    if (i > lastEnd && inRun) {
      i++;
      continue;
    }
    let best: { end: number; text: string; category: Category } | null = null;
    for (const rule of RULES) {
      const m = rule.match(text, i);
      if (m && m.end > i && (!best || m.end > best.end)) best = { end: m.end, text: m.text, category: m.category ?? rule.category };
    }
    if (!best || inIdiom(i, best.end)) {
      i++;
      continue;
    }
    const written = hasTraditional(original.slice(i, best.end)) ? traditionalForm(best.text) : best.text;
    edits.push({ start: i, end: best.end, text: written, category: best.category });
    i = best.end;
    lastEnd = i;
  }
  return edits;
}

/** Apply edits (sorted, not overlapping) to `text`. */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  return applyTextEdits(text, edits);
}

/**
 * Normalize Chinese text: "二零二五年三月五日" → "2025年3月5日", "二十三点五" → "23.5".
 */
export function normalizeChinese(text: string): string {
  return applyEdits(text, findEdits(text));
}
