import type { Hotword, TimedWord, TranscriptOutput } from '@earshot/sdk';
import { describeValue } from './describe-value.js';
import { describeError } from './guarded-call.js';

/** Longest hotword phrase the decoder is handed; longer ones are list mistakes, not names. */
export const MAX_PHRASE_LENGTH = 100;
/** Boosts beyond this drown the acoustic score and make the decoder hallucinate the phrase. */
export const MAX_BOOST = 20;
/**
 * Most hotwords one provider may give. Far above what a decoder can use well (hotwords-file
 * defaults to 5,000); it bounds what a broken provider makes the host hold and merge.
 */
export const MAX_HOTWORDS = 50_000;
/**
 * A normalizer or filter may return this many times the characters and words it was given
 * (room for "[redacted card number]" in place of digits), and at least the floors below:
 * the host realigns and publishes whatever it takes, in the daemon's own thread and heap.
 */
const OUTPUT_GROWTH = 10;
const MIN_TEXT_LIMIT = 64 * 1024;
const MIN_WORDS_LIMIT = 4096;

/** What a transcript call had as input, for the size its output may have. */
export interface TranscriptSize {
  text: string;
  words?: readonly unknown[] | undefined;
}

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
 * Whether a normalizer's or filter's output is larger than its input allows; checked before
 * anything else looks at it (and in the plugin's thread before it is sent to the host).
 * @returns what is too large ("too much text: ..."), or undefined
 */
export function oversizeTranscript(value: unknown, input: TranscriptSize): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { text, words } = value as { text?: unknown; words?: unknown };
  const textLimit = Math.max(OUTPUT_GROWTH * input.text.length, MIN_TEXT_LIMIT);
  if (typeof text === 'string' && text.length > textLimit) {
    return `too much text: ${text.length} characters for an input of ${input.text.length}; the limit is ${textLimit} (${OUTPUT_GROWTH} times the input, at least ${MIN_TEXT_LIMIT})`;
  }
  const wordsLimit = Math.max(OUTPUT_GROWTH * (input.words?.length ?? 0), MIN_WORDS_LIMIT);
  if (Array.isArray(words) && words.length > wordsLimit) {
    return `too many words: ${words.length} for an input of ${input.words?.length ?? 0}; the limit is ${wordsLimit} (${OUTPUT_GROWTH} times the input, at least ${MIN_WORDS_LIMIT})`;
  }
  return undefined;
}

/** Whether a hotword provider's list is longer than one provider may give. */
export function oversizeHotwords(value: unknown): string | undefined {
  return Array.isArray(value) && value.length > MAX_HOTWORDS ? `too many hotwords: ${value.length}, more than the ${MAX_HOTWORDS} one provider may give` : undefined;
}

const TRANSCRIPT_OUTPUT = '{ text: string, words?: TimedWord[] }';

/**
 * Check what a normalizer or filter returned for `input`.
 * @returns a clean copy of the output, or a string saying what is wrong with it
 */
export function checkTranscriptOutput(value: unknown, input: TranscriptSize): TranscriptOutput | string {
  if (typeof value !== 'object' || value === null) return `returned ${value === null ? 'null' : typeof value}, expected ${TRANSCRIPT_OUTPUT}`;
  // Each field is read once: an inline plugin's getter could throw, or give another value at a
  // second read than the one checked.
  let fields: { text?: unknown; words?: unknown };
  try {
    const { text, words } = value as { text?: unknown; words?: unknown };
    fields = { text, words };
  } catch (err) {
    return `returned an object whose text or words cannot be read (${describeError(err)}), expected ${TRANSCRIPT_OUTPUT}`;
  }
  const { text, words } = fields;
  // An object with the wrong text (a number, a misspelt key) says so: "returned object" alone sends the author looking elsewhere.
  if (typeof text !== 'string') return `returned an object whose text is ${describeValue(text)}, expected ${TRANSCRIPT_OUTPUT}`;
  const oversize = oversizeTranscript(fields, input);
  if (oversize !== undefined) return `returned ${oversize}`;
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
  // The caller names the call ("hotwords() ..."); these say what it returned.
  if (!Array.isArray(value)) return `returned ${value === null ? 'null' : typeof value}, expected an array of { phrase, boost, language? }`;
  const oversize = oversizeHotwords(value);
  if (oversize !== undefined) return `returned ${oversize}`;
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
