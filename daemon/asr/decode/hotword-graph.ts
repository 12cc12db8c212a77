/** Hotword phrases → token sequences → context graph, for any decoder that supports biasing. */
import type { Logger } from '../../log/logger.js';
import type { TokenTable } from '../models/tokens.js';
import type { Hotword } from '../types.js';
import { ContextGraph, type ContextPhrase } from './context-graph.js';

/** Phrases remembered as reported; past this many the memory starts over (a phrase may be logged again). */
const MAX_REMEMBERED = 10_000;

/**
 * Says once per recognizer which hotword phrases its model cannot spell. The graph is built
 * for every transcript from the same hotword list, so a warning per build would repeat the
 * same phrase with every transcript.
 */
export class UnspellableHotwords {
  private readonly reported = new Set<string>();

  constructor(private readonly logger: Logger) {}

  report(phrase: string): void {
    if (this.reported.has(phrase)) return;
    if (this.reported.size >= MAX_REMEMBERED) this.reported.clear();
    this.reported.add(phrase);
    this.logger.warn("hotword cannot be spelled with this model's tokens; ignored", { phrase });
  }
}

/** Phrases the vocabulary cannot spell are reported and skipped, not fatal. */
export function buildContextGraph(hotwords: readonly Hotword[], tokens: TokenTable, unspellable: UnspellableHotwords): ContextGraph | null {
  const phrases: ContextPhrase[] = [];
  for (const h of hotwords) {
    const ids = tokens.encode(h.phrase);
    if (!ids || ids.length === 0) {
      unspellable.report(h.phrase);
      continue;
    }
    phrases.push({ tokens: ids, boost: h.boost, phrase: h.phrase });
  }
  return phrases.length ? new ContextGraph(phrases, { wordSeparator: tokens.wordSeparator }) : null;
}
