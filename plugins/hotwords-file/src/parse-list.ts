import type { Hotword } from '@earshot/sdk';
import { readCsv } from './csv.js';

/** How to read and check a hotword list. */
export interface ListOptions {
  format: 'lines' | 'csv';
  /** Boost of a phrase without a weight. */
  defaultBoost: number;
  /** Largest weight accepted. */
  maxBoost: number;
  /** Longest phrase accepted, in characters. */
  maxLength: number;
  /** Most phrases accepted; later lines are refused. */
  maxPhrases: number;
  /** Language of phrases that name none; undefined means any. */
  language?: string | undefined;
}

/** One line that was not taken, and why. */
export interface ListProblem {
  line: number;
  message: string;
}

/** The phrases taken from a list, and the lines refused. */
export interface ParsedList {
  hotwords: Hotword[];
  problems: ListProblem[];
}

/**
 * Hotwords are spoken words: letters and combining marks of any script, digits, spaces and a
 * few joiners that occur in names (O'Neill, Jean-Luc, St. Louis, AT&T, C++).
 */
const ALLOWED = /^[\p{L}\p{M}\p{N} '’\-.&+]+$/u;
const LANGUAGE_TAG = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/;

/** 'csv' for `*.csv` files when the format is 'auto'. */
export function formatFor(file: string, format: 'auto' | 'lines' | 'csv'): 'lines' | 'csv' {
  if (format !== 'auto') return format;
  return file.toLowerCase().endsWith('.csv') ? 'csv' : 'lines';
}

/** Check one phrase; returns a message when it is refused. */
function phraseProblem(phrase: string, maxLength: number): string | undefined {
  if (phrase === '') return 'empty phrase';
  if ([...phrase].length > maxLength) return `phrase "${phrase}" is ${[...phrase].length} characters, more than maxLength ${maxLength}`;
  if (!ALLOWED.test(phrase)) {
    const bad = [...phrase].find((ch) => !ALLOWED.test(ch));
    return `phrase "${phrase}" contains ${JSON.stringify(bad)}; only letters, digits, spaces and ' - . & + are allowed`;
  }
  if (!/[\p{L}\p{N}]/u.test(phrase)) return `phrase "${phrase}" has no letter or digit`;
  return undefined;
}

function parseWeight(raw: string, options: ListOptions): number | string {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value)) return `weight "${raw}" is not a number; write e.g. "phrase:2.0"`;
  if (value < 0 || value > options.maxBoost) return `weight ${value} is outside 0..${options.maxBoost} (maxBoost)`;
  return value;
}

/** Split a list line into phrase and weight text: `acme widget :2.5  # note` → ["acme widget", "2.5"]. */
function splitLine(raw: string): { phrase: string; weight?: string } | undefined {
  const withoutComment = raw.replace(/(^|\s)#.*$/, '');
  const line = withoutComment.trim();
  if (line === '') return undefined;
  const colon = line.lastIndexOf(':');
  if (colon === -1) return { phrase: line };
  return { phrase: line.slice(0, colon).trim(), weight: line.slice(colon + 1).trim() };
}

/**
 * Read a hotword list. Lines format: one phrase per line, optional `:weight`, `#` starts a
 * comment (at the line start or after a space), blank lines ignored. CSV format: columns
 * `phrase,weight,language` (weight and language optional, a header row starting with
 * "phrase" is skipped, `#` lines ignored). Refused lines are reported with their line number;
 * the rest are kept. A phrase listed twice (same text ignoring case, same language) keeps its
 * first weight.
 * @throws Error only when the text cannot be read as CSV at all (unclosed quote)
 */
export function parseHotwordList(text: string, options: ListOptions): ParsedList {
  const source = text.replace(/^\uFEFF/, '');
  const entries: Array<{ line: number; phrase: string; weight?: string; language?: string }> = [];
  if (options.format === 'csv') {
    for (const record of readCsv(source)) {
      const [phrase = '', weight = '', language = ''] = record.fields.map((f) => f.trim());
      if (phrase === '' && record.fields.length <= 1) continue;
      if (phrase.startsWith('#')) continue;
      if (entries.length === 0 && phrase.toLowerCase() === 'phrase') continue;
      const entry: (typeof entries)[number] = { line: record.line, phrase };
      if (weight !== '') entry.weight = weight;
      if (language !== '') entry.language = language;
      entries.push(entry);
    }
  } else {
    source.split(/\r?\n/).forEach((raw, i) => {
      const parts = splitLine(raw);
      if (parts) entries.push({ line: i + 1, ...parts });
    });
  }

  const hotwords: Hotword[] = [];
  const problems: ListProblem[] = [];
  const firstSeen = new Map<string, number>();
  for (const entry of entries) {
    const phrase = entry.phrase.replace(/\s+/g, ' ');
    const refuse = (message: string): void => void problems.push({ line: entry.line, message });
    const bad = phraseProblem(phrase, options.maxLength);
    if (bad !== undefined) {
      refuse(bad);
      continue;
    }
    const weight = entry.weight === undefined ? options.defaultBoost : parseWeight(entry.weight, options);
    if (typeof weight === 'string') {
      refuse(weight);
      continue;
    }
    const language = entry.language ?? options.language;
    if (language !== undefined && !LANGUAGE_TAG.test(language)) {
      refuse(`language "${language}" is not a BCP 47 tag such as "en" or "zh-CN"`);
      continue;
    }
    const key = `${language ?? ''}\u0000${phrase.toLowerCase()}`;
    const earlier = firstSeen.get(key);
    if (earlier !== undefined) {
      refuse(`"${phrase}" repeats line ${earlier}; the first one is kept`);
      continue;
    }
    if (hotwords.length >= options.maxPhrases) {
      refuse(`more than maxPhrases ${options.maxPhrases} phrases; the rest of the list is ignored`);
      break;
    }
    firstSeen.set(key, entry.line);
    hotwords.push(language === undefined ? { phrase, boost: weight } : { phrase, boost: weight, language });
  }
  return { hotwords, problems };
}
