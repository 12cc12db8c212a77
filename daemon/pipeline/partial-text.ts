/**
 * A partial's text through the plugins, as a final's is: a redacting normalizer or filter
 * must apply to the live text too, or what it masks in the final goes out in the partials
 * before it. Partials keep their contract (schemas/partial.schema.json): `stable` is a
 * prefix of `text` and only grows within a segment.
 */
import type { TranscriptForPlugins, ProcessedTranscript } from '../plugins/types.js';
import { describeMissing } from '../plugins/required-plugins.js';

/** The plugin host as partials use it. */
export interface PartialPlugins {
  processPartial(transcript: TranscriptForPlugins): Promise<ProcessedTranscript>;
}

/** What the plugins made of one segment's partials so far. */
export interface PartialTextState {
  /** The last raw stable prefix put through the plugins, and what they made of it. */
  stableRaw: string;
  stableText: string;
  /** The stable prefix last published for this segment. */
  published: string;
}

export function newPartialTextState(): PartialTextState {
  return { stableRaw: '', stableText: '', published: '' };
}

/** What to publish, or why nothing is. */
export type PartialText = { ok: true; text: string; stable: string } | { ok: false; reason: string };

/**
 * Put a raw partial through the plugins. Nothing is published (ok: false) when a plugin
 * failed, timed out or is set aside, when a required one is not running (disabled say) (its output is missing, so the text would go out
 * unfiltered), when the plugins leave no text, or when the text no longer begins with the
 * stable prefix already published (a normalizer that rewrote words across it).
 *
 * The stable prefix is put through the plugins on its own, and only when it changed, so a
 * partial costs one pipeline run, two when its stable prefix grew. What is published as
 * stable is the longest common start of both results, never less than what was published.
 */
export async function partialText(plugins: PartialPlugins, raw: { text: string; stable: string }, state: PartialTextState, context: Omit<TranscriptForPlugins, 'text' | 'words'>): Promise<PartialText> {
  const run = (text: string) => plugins.processPartial({ ...context, text, words: [] });
  const full = await run(raw.text);
  if (full.requiredMissing !== undefined) return { ok: false, reason: describeMissing(full.requiredMissing) };
  if (full.skipped.length > 0) return { ok: false, reason: skippedReason(full) };
  if (full.text.trim() === '') return { ok: false, reason: 'the plugins left no text' };
  if (raw.stable !== state.stableRaw) {
    let stableText = '';
    if (raw.stable === raw.text) stableText = full.text;
    else if (raw.stable !== '') {
      const stable = await run(raw.stable);
      if (stable.skipped.length > 0) return { ok: false, reason: skippedReason(stable) };
      stableText = stable.text;
    }
    state.stableRaw = raw.stable;
    state.stableText = stableText;
  }
  if (!full.text.startsWith(state.published)) return { ok: false, reason: 'the plugins rewrote the start already published as stable' };
  const agreed = commonPrefix(full.text, state.stableText);
  // Stable never shrinks: a shorter agreement holds what was published before.
  const stable = agreed.length > state.published.length ? agreed : state.published;
  state.published = stable;
  return { ok: true, text: full.text, stable };
}

function skippedReason(p: ProcessedTranscript): string {
  return `plugins did not run: ${p.skipped.map((s) => `${s.plugin}: ${s.reason}`).join('; ')}`;
}

function commonPrefix(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return a.slice(0, i);
}
