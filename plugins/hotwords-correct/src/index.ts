/**
 * @earshot/plugin-hotwords-correct — after decoding, rewrite near-misses of hotwords
 * ("jet son nano" → "Jetson Nano") for models whose decoder cannot be biased.
 * @packageDocumentation
 */
import { definePlugin } from '@earshot/sdk';
import { buildTargets, correctText } from './corrector.js';

export { buildTargets, correctText } from './corrector.js';
export type { Correction, CorrectorOptions } from './corrector.js';
export { levenshtein, similarity, soundKey, letters } from './similarity.js';

/** The plugin's config, as validated against config.schema.json (defaults filled in). */
export interface HotwordsCorrectConfig {
  threshold: number;
  minLength: number;
  phrases: string[];
  useProviderHotwords: boolean;
}

export default definePlugin<HotwordsCorrectConfig>({
  description: 'Corrects near-misses of hotwords after decoding',
  create(ctx) {
    const { config } = ctx;
    const options = { threshold: config.threshold, minLength: config.minLength };
    // Targets are rebuilt only when the phrase list changes, not per transcript.
    let cacheKey = '';
    let targets = buildTargets(config.phrases, options);
    return {
      normalizer: {
        async normalize(input) {
          const phrases = [...config.phrases];
          if (config.useProviderHotwords) for (const h of await ctx.hotwords(input.language)) phrases.push(h.phrase);
          const key = phrases.join('\n');
          if (key !== cacheKey) {
            targets = buildTargets(phrases, options);
            cacheKey = key;
          }
          if (targets.length === 0) return { text: input.text };
          const { text, corrections } = correctText(input.text, targets, options);
          if (corrections.length > 0) ctx.logger.debug(() => `corrected ${corrections.map((c) => `"${c.from}" → "${c.to}" (${c.score})`).join(', ')}`);
          return { text };
        },
      },
    };
  },
});
