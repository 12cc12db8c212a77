import type { Hotword, TimedWord, TranscriptOutput } from '@earshot/sdk';

/** Longest hotword phrase the decoder is handed; longer ones are list mistakes, not names. */
export const MAX_PHRASE_LENGTH = 100;
/** Boosts beyond this drown the acoustic score and make the decoder hallucinate the phrase. */
export const MAX_BOOST = 20;

function isTimedWord(w: unknown): w is TimedWord {
  if (typeof w !== 'object' || w === null) return false;
  const v = w as Record<string, unknown>;
  return (
    typeof v.text === 'string' &&
    typeof v.start === 'number' &&
    typeof v.end === 'number' &&
    Number.isFinite(v.start) &&
    Number.isFinite(v.end) &&
    v.end >= v.start &&
    (v.confidence === undefined || typeof v.confidence === 'number')
  );
}

/**
 * Check what a normalizer or filter returned.
 * @returns the output, or a string saying what is wrong with it
 */
export function checkTranscriptOutput(value: unknown): TranscriptOutput | string {
  if (typeof value !== 'object' || value === null || typeof (value as { text?: unknown }).text !== 'string') {
    return `returned ${value === null ? 'null' : typeof value}, expected { text: string, words?: TimedWord[] }`;
  }
  const words = (value as { words?: unknown }).words;
  if (words !== undefined) {
    if (!Array.isArray(words)) return 'returned words that are not an array';
    const bad = words.findIndex((w) => !isTimedWord(w));
    if (bad !== -1) return `returned words[${bad}] = ${JSON.stringify(words[bad])}, expected { text, start, end } with end >= start`;
  }
  return value as TranscriptOutput;
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
      dropped.push(`[${i}] phrase ${JSON.stringify(h.phrase)}: must be 1-${MAX_PHRASE_LENGTH} characters without control characters`);
    } else if (typeof h.boost !== 'number' || !Number.isFinite(h.boost) || Math.abs(h.boost) > MAX_BOOST) {
      dropped.push(`[${i}] "${phrase}": boost ${JSON.stringify(h.boost)} must be a number between -${MAX_BOOST} and ${MAX_BOOST}`);
    } else if (h.language !== undefined && (typeof h.language !== 'string' || !/^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(h.language))) {
      dropped.push(`[${i}] "${phrase}": language ${JSON.stringify(h.language)} is not a BCP 47 tag such as "en" or "zh-CN"`);
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
