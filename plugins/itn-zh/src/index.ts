/**
 * `@earshot/plugin-itn-zh` — inverse text normalization for Chinese transcripts, as an
 * Earshot plugin; {@link normalizeChinese} is also exported for direct use (the CLI).
 */
import { definePlugin, realignWords, type TextNormalizer, type TranscriptInput, type TranscriptOutput } from '@earshot/sdk';
import { applyEdits, findEdits } from './normalize.js';

export { normalizeChinese, findEdits, applyEdits } from './normalize.js';
export type { TextEdit } from './normalize.js';
export type { Category } from './rule.js';

/** A {@link TextNormalizer} for Chinese (`zh`, also `zh-CN`, `zh-TW`… by primary tag). */
export function createChineseNormalizer(): TextNormalizer {
  return {
    languages: ['zh'],
    normalize(input: TranscriptInput): TranscriptOutput {
      const edits = findEdits(input.text);
      if (edits.length === 0) return { text: input.text, words: input.words.map((w) => ({ ...w })) };
      const text = applyEdits(input.text, edits);
      // Chinese models give one timestamp per character; the SDK's realignment keeps the
      // unchanged characters' times and gives each rewritten span the times of the
      // characters it replaced ("二零二五" → "2025" spans all four).
      return input.words.length > 0 ? { text, words: realignWords(input.words, text) } : { text };
    },
  };
}

export default definePlugin({
  description: 'Chinese inverse text normalization: numbers, dates, times, money, measures written in Arabic digits',
  create: () => ({ normalizer: createChineseNormalizer() }),
});
