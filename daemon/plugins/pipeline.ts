import { realignWords, type TimedWord, type TranscriptInput } from '@earshot/sdk';
import { guardedCall } from './guarded-call.js';
import { checkTranscriptOutput, languageMatches } from './plugin-results.js';
import { failureDetail, type OutcomeSink, type Slot } from './slot.js';
import type { ProcessedTranscript, SkippedPlugin, TranscriptForPlugins } from './types.js';

/**
 * Run the normalizers, then the filters, of `slots` (already in config order) on one
 * transcript. Each call is guarded with `timeoutFor(slot)`; a failing plugin's output is
 * dropped, the failure reported to `outcomes`, and the text goes on as the previous plugin
 * left it. Plugins set aside after failures are listed in `skipped` without being called.
 */
export async function runPipeline(
  slots: readonly Slot[],
  transcript: TranscriptForPlugins,
  timeoutFor: (slot: Slot) => number,
  outcomes: OutcomeSink,
): Promise<ProcessedTranscript> {
  let text = transcript.text;
  let words: TimedWord[] = (transcript.words ?? []).map((w) => ({ ...w }));
  const applied: string[] = [];
  const skipped: SkippedPlugin[] = [];
  for (const kind of ['normalizer', 'filter'] as const) {
    for (const slot of slots) {
      if (!slot.kinds.includes(kind)) continue;
      if (slot.state === 'failed') {
        skipped.push({ plugin: slot.name, reason: `disabled after ${slot.consecutiveFailures} ${slot.consecutiveFailures === 1 ? 'failure' : 'failures'} (last: ${slot.error ?? 'unknown'})` });
        continue;
      }
      const instance = slot.instance;
      const impl = kind === 'normalizer' ? instance?.normalizer : instance?.filter;
      if (slot.state !== 'running' || !impl || !languageMatches(impl.languages, transcript.language)) continue;
      // Each plugin gets its own copy: what one does to its input cannot reach the next.
      const input: TranscriptInput = {
        text,
        words: words.map((w) => ({ ...w })),
        ...(transcript.language !== undefined ? { language: transcript.language } : {}),
        ...(transcript.segment !== undefined ? { segment: { ...transcript.segment } } : {}),
      };
      const outcome = await guardedCall(() => (kind === 'normalizer' ? instance!.normalizer!.normalize(input) : instance!.filter!.filter(input)), timeoutFor(slot));
      const checked = outcome.ok ? checkTranscriptOutput(outcome.value, input) : outcome.reason;
      if (typeof checked === 'string') {
        outcomes.recordFailure(slot, `${kind} call ${checked}`, failureDetail(outcome, `a ${kind} call`));
        skipped.push({ plugin: slot.name, reason: checked });
        continue;
      }
      outcomes.recordSuccess(slot);
      words = checked.words ? checked.words.map((w) => ({ ...w })) : checked.text === text ? words : realignWords(words, checked.text);
      text = checked.text;
      applied.push(slot.name);
    }
  }
  return { text, words, applied, skipped };
}
