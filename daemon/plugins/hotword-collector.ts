import type { Hotword } from '@earshot/sdk';
import type { EventBus } from '../bus.js';
import type { Logger } from '../log/logger.js';
import { guardedCall } from './guarded-call.js';
import { checkHotwords, languageMatches, mergeHotwords } from './plugin-results.js';
import { failureDetail, type OutcomeSink, type Slot } from './slot.js';

/** What the collector needs from the host. */
export interface HotwordCollectorOptions {
  logger: Logger;
  bus?: EventBus | undefined;
  timeoutMs: number;
  outcomes: OutcomeSink;
  /** Every slot, for the merge. */
  slots(): readonly Slot[];
}

/** hotwordsChanged() calls arriving within this window are served by one refresh. */
const COALESCE_MS = 20;

/**
 * Asks hotword providers for their lists (guarded), keeps each slot's checked list, and
 * publishes the merged list (`hotwordsChanged` on the bus) whenever it changes.
 */
export class HotwordCollector {
  private merged: Hotword[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly pending = new Set<Slot>();
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;

  constructor(private readonly options: HotwordCollectorOptions) {}

  /** The merged list; with a language, the phrases for it and the language-free ones. */
  current(language?: string): Hotword[] {
    return this.merged.filter((h) => languageMatches(h.language === undefined ? undefined : [h.language], language)).map((h) => ({ ...h }));
  }

  /** A plugin said its list changed: refresh it soon, together with others that said so. */
  requestRefresh(slot: Slot): void {
    if (this.stopped) return;
    this.pending.add(slot);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      const due = [...this.pending];
      this.pending.clear();
      const done = this.refresh(due);
      this.inFlight.add(done);
      void done.finally(() => this.inFlight.delete(done));
    }, COALESCE_MS);
  }

  /** Ask the given providers for their lists now, then publish the merge if it changed. */
  async refresh(slots: readonly Slot[]): Promise<void> {
    for (const slot of slots) {
      const provider = slot.instance?.hotwordProvider;
      if (slot.state !== 'running' || !provider) continue;
      const outcome = await guardedCall(() => provider.hotwords(), this.options.timeoutMs);
      const checked = outcome.ok ? checkHotwords(outcome.value) : outcome.reason;
      if (typeof checked === 'string') {
        this.options.outcomes.recordFailure(slot, `hotwords() ${checked}`, failureDetail(outcome, 'a hotwords() call'));
        continue;
      }
      this.options.outcomes.recordSuccess(slot);
      if (checked.dropped.length > 0) {
        this.options.logger.child(slot.alias).warn(`plugin ${slot.name}: ${checked.dropped.length} hotwords dropped: ${checked.dropped.slice(0, 5).join('; ')}`);
      }
      if (slot.state === 'running') slot.hotwords = checked.hotwords;
    }
    this.publish();
  }

  /** Merge the running slots' lists; announce the result when it differs from the last one. */
  publish(): void {
    const slots = this.options.slots().filter((s) => s.state === 'running');
    const merged = mergeHotwords(slots.map((s) => s.hotwords));
    if (JSON.stringify(merged) === JSON.stringify(this.merged)) return;
    this.merged = merged;
    this.options.logger.info(`hotwords: ${merged.length} phrases from ${slots.filter((s) => s.hotwords.length > 0).length} providers`);
    this.options.bus?.emit('hotwordsChanged', { hotwords: this.current() });
  }

  /** Cancel pending refreshes and wait for running ones. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
    await Promise.all(this.inFlight);
  }

  /** Allow refreshes again after {@link stop} (the host was started again). */
  resume(): void {
    this.stopped = false;
  }
}
