import type { Hotword, TimedWord, TranscriptOutput } from '@earshot/sdk';
import { describeValue } from './describe-value.js';

/** Longest hotword phrase the decoder is handed; longer ones are list mistakes, not names. */
export const MAX_PHRASE_LENGTH = 100;
/** Boosts beyond this drown the acoustic score and make the decoder hallucinate the phrase. */
export const MAX_BOOST = 20;

/**
 * The word with only the fields a TimedWord has, or undefined when it is not one. Only those
 * fields are kept: anything else a plugin put there (a BigInt, a cycle) would break whoever
 * serializes the transcript later.
 */
function timedWord(w: unknown): TimedWord | undefined {
  if (typeof w !== 'object' || w === null) return undefined;
  const { text, start, end, confidence } = w as Record<string, unknown>;
  if (typeof text !== 'string' || typeof start !== 'number' || typeof end !== 'number') return undefined;
  if (!Number.isFinite(start) || !Number.isFinite(end) || end < start) return undefined;
  if (confidence === undefined) return { text, start, end };
  return typeof confidence === 'number' && Number.isFinite(confidence) ? { text, start, end, confidence } : undefined;
}

/**
 * Check what a normalizer or filter returned.
 * @returns a clean copy of the output, or a string saying what is wrong with it
 */
export function checkTranscriptOutput(value: unknown): TranscriptOutput | string {
  if (typeof value !== 'object' || value === null || typeof (value as { text?: unknown }).text !== 'string') {
    return `returned ${value === null ? 'null' : typeof value}, expected { text: string, words?: TimedWord[] }`;
  }
  const text = (value as { text: string }).text;
  const words = (value as { words?: unknown }).words;
  if (words === undefined) return { text };
  if (!Array.isArray(words)) return 'returned words that are not an array';
  const checked: TimedWord[] = [];
  for (const [i, w] of words.entries()) {
    const word = timedWord(w);
    if (word === undefined) return `returned words[${i}] = ${describeValue(w)}, expected { text, start, end, confidence? } with finite numbers and end >= start`;
    checked.push(word);
  }
  return { text, words: checked };
}

/**
 * Keep the valid entries of what a hotword provider returned.
 * @returns the valid hotwords and one line per dropped entry; or a string when it is not a list
 */
export function checkHotwords(value: unknown): { hotwords: Hotword[]; dropped: string[] } | string {
  if (!Array.isArray(value)) return `hotwords() returned ${value === null ? 'null' : typeof value}, expected an array of { phrase, boost, language? }`;
  const hotwords: Hotword[] = [];
  const dropped: string[] = [];
  value.forEach((entry: unknown, i) => {
    const h = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
    const phrase = typeof h.phrase === 'string' ? h.phrase.trim().replace(/\s+/g, ' ') : '';
    if (phrase === '' || phrase.length > MAX_PHRASE_LENGTH || /\p{Cc}/u.test(phrase)) {
      dropped.push(`[${i}] phrase ${describeValue(h.phrase)}: must be 1-${MAX_PHRASE_LENGTH} characters without control characters`);
    } else if (typeof h.boost !== 'number' || !Number.isFinite(h.boost) || Math.abs(h.boost) > MAX_BOOST) {
      dropped.push(`[${i}] "${phrase}": boost ${describeValue(h.boost)} must be a number between -${MAX_BOOST} and ${MAX_BOOST}`);
    } else if (h.language !== undefined && (typeof h.language !== 'string' || !/^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(h.language))) {
      dropped.push(`[${i}] "${phrase}": language ${describeValue(h.language)} is not a BCP 47 tag such as "en" or "zh-CN"`);
    } else {
      hotwords.push(h.language === undefined ? { phrase, boost: h.boost } : { phrase, boost: h.boost, language: h.language });
    }
  });
  return { hotwords, dropped };
}

/**
 * Merge the lists of several providers: one entry per phrase (case-insensitive) and language,
 * with the highest boost any provider gave it, in first-seen order.
 */
export function mergeHotwords(lists: Iterable<readonly Hotword[]>): Hotword[] {
  const merged = new Map<string, Hotword>();
  for (const list of lists) {
    for (const h of list) {
      const key = `${h.language ?? ''}\u0000${h.phrase.toLowerCase()}`;
      const seen = merged.get(key);
      if (seen === undefined) merged.set(key, { ...h });
      else if (h.boost > seen.boost) seen.boost = h.boost;
    }
  }
  return [...merged.values()];
}

/** Whether a tag such as `en-US` falls under one of `languages` (primary subtags, e.g. `en`). */
export function languageMatches(languages: readonly string[] | undefined, tag: string | undefined): boolean {
  if (languages === undefined || tag === undefined) return true;
  const primary = tag.toLowerCase().split('-')[0];
  return languages.some((l) => l.toLowerCase().split('-')[0] === primary);
}
