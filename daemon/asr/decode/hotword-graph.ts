/** Hotword phrases → token sequences → context graph, for any decoder that supports biasing. */
import type { Logger } from '../../log/logger.js';
import type { TokenTable } from '../models/tokens.js';
import type { Hotword } from '../types.js';
import { ContextGraph, type ContextPhrase } from './context-graph.js';

/** Phrases the vocabulary cannot spell are logged and skipped, not fatal. */
export function buildContextGraph(hotwords: readonly Hotword[], tokens: TokenTable, logger: Logger): ContextGraph | null {
  const phrases: ContextPhrase[] = [];
  for (const h of hotwords) {
    const ids = tokens.encode(h.phrase);
    if (!ids || ids.length === 0) {
      logger.warn("hotword cannot be spelled with this model's tokens; ignored", { phrase: h.phrase });
      continue;
    }
    phrases.push({ tokens: ids, boost: h.boost, phrase: h.phrase });
  }
  return phrases.length ? new ContextGraph(phrases, { wordSeparator: tokens.wordSeparator }) : null;
}
