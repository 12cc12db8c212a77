/**
 * `@earshot/plugin-itn-en` — inverse text normalization for English transcripts, as an
 * Earshot plugin; {@link normalizeEnglish} is also exported for direct use (the CLI).
 */
import { applyWordEdits, definePlugin, type TextNormalizer, type TranscriptInput, type TranscriptOutput } from '@earshot/sdk';
import { applyEdits, findEdits } from './normalize.js';
import type { EnglishItnOptions } from './rule.js';
import { defaultOptions } from './defaults.js';
import { toWordEdits } from './word-edits.js';

export { normalizeEnglish, findEdits, applyEdits } from './normalize.js';
export type { TextEdit } from './normalize.js';
export { defaultOptions } from './defaults.js';
export type { EnglishItnOptions, DateFormat, Category } from './rule.js';

/** A {@link TextNormalizer} for English with the given options. */
export function createEnglishNormalizer(options: Partial<EnglishItnOptions> = {}): TextNormalizer {
  const resolved: EnglishItnOptions = { ...defaultOptions(), ...options };
  return {
    languages: ['en'],
    normalize(input: TranscriptInput): TranscriptOutput {
      const edits = findEdits(input.text, resolved);
      if (edits.length === 0) return { text: input.text, words: input.words.map((w) => ({ ...w })) };
      const text = applyEdits(input.text, edits);
      const wordEdits = input.words.length > 0 ? toWordEdits(input.text, input.words, edits) : null;
      // Without a word-for-word match the host realigns timestamps from the text.
      return wordEdits ? { text, words: applyWordEdits(input.words, wordEdits).words } : { text };
    },
  };
}

export default definePlugin<Partial<EnglishItnOptions>>({
  description: 'English inverse text normalization: numbers, dates, times, money, measures written as a reader expects',
  create: (context) => ({ normalizer: createEnglishNormalizer(context.config) }),
});
