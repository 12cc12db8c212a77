/**
 * `plugins.required`: plugins no transcript may go out without. A plugin that fails is
 * otherwise skipped and the transcript published without it (named in `pluginsSkipped`),
 * which for a redacting filter means publishing what it should have masked. Transcripts and
 * partials that a required plugin did not run on are held back instead: the job waits and
 * runs again once the plugin does.
 */
import { slotsNamed, type Slot } from './slot.js';
import type { RequiredMissing, SkippedPlugin } from './types.js';

/** Each required plugin that cannot run now: not installed, not loaded, disabled, set aside or starting. */
export function requiredNotRunning(required: readonly string[], slots: readonly Slot[]): SkippedPlugin[] {
  const out: SkippedPlugin[] = [];
  for (const wanted of required) {
    const named = slotsNamed(slots, wanted);
    if (named.length === 0) out.push({ plugin: wanted, reason: 'not installed' });
    // A short name two plugins share requires both: which one the site meant is not known,
    // and a transcript must not go out without the one it meant.
    for (const slot of named) {
      if (slot.state !== 'running') out.push({ plugin: slot.name, reason: stateReason(slot) });
      else if (!slot.instance) out.push({ plugin: slot.name, reason: 'starting' });
    }
  }
  return dedupe(out);
}

/**
 * The required plugins a transcript went without: those that cannot run now, and those that
 * failed on it (`skipped`: threw, timed out, returned a bad result).
 */
export function requiredMissing(required: readonly string[], slots: readonly Slot[], skipped: readonly SkippedPlugin[]): RequiredMissing[] {
  const names = new Set(required.flatMap((wanted) => slotsNamed(slots, wanted).map((s) => s.name)));
  const failedOnIt = skipped.filter((s) => names.has(s.plugin)).map((s): RequiredMissing => ({ ...s, failedOnIt: true }));
  return dedupe([...requiredNotRunning(required, slots), ...failedOnIt]);
}

/** "required plugin earshot-plugin-redact failed: …; …" for logs, job errors and status. */
export function describeMissing(missing: readonly SkippedPlugin[]): string {
  return missing.map((m) => `required plugin ${m.plugin} did not run (${m.reason})`).join('; ');
}

/**
 * Why a box with `required` plugins may not offer work to its fleet group, if it has any:
 * the box that takes a job transcribes it with its own plugins, which may not include
 * these, so its transcripts would be published without them.
 */
export function requiredPluginsRefuseOffers(required: readonly string[]): string | undefined {
  return required.length > 0 ? `plugins.required (${required.join(', ')}) must run on every transcript of this box, and the boxes that take fleet work run their own plugins` : undefined;
}

function stateReason(slot: Slot): string {
  if (slot.state === 'disabled') return 'disabled; `earshot plugins enable` starts it';
  const why = slot.error !== undefined ? `: ${slot.error}` : '';
  if (slot.state === 'failed') return `set aside after failures${why}; \`earshot plugins enable\` starts it again`;
  return `not loaded${why}`;
}

/** One entry per plugin, the first reason kept (two names, full and alias, may both be listed). */
function dedupe<T extends SkippedPlugin>(list: T[]): T[] {
  const seen = new Set<string>();
  return list.filter((m) => !seen.has(m.plugin) && (seen.add(m.plugin), true));
}
