/**
 * Carry text edits over to timed words, so a rewritten span takes the start of its first word
 * and the end of its last ("twenty three dollars" 1.0–2.1 s → "$23" 1.0–2.1 s).
 */
import type { TimedWord, WordEdit } from '@earshot/sdk';
import type { TextEdit } from './normalize.js';

/**
 * Word edits for `edits` on `text`, whose words are `words` in order; null when the words
 * cannot be found in the text in order, or two edits fall into one word (then the caller lets
 * the host realign by text).
 */
export function toWordEdits(text: string, words: readonly TimedWord[], edits: readonly TextEdit[]): WordEdit[] | null {
  const spans: Array<{ start: number; end: number }> = [];
  let at = 0;
  for (const w of words) {
    const start = text.indexOf(w.text, at);
    if (w.text === '' || start < 0) return null;
    spans.push({ start, end: start + w.text.length });
    at = start + w.text.length;
  }
  const out: WordEdit[] = [];
  for (const e of edits) {
    const from = spans.findIndex((s) => s.end > e.start);
    let to = from;
    while (to < spans.length && spans[to]!.start < e.end) to++;
    if (from < 0 || to <= from || (out.length > 0 && out[out.length - 1]!.to > from)) return null;
    // Keep what the edit does not cover inside its first and last word ("(twenty" → "(20").
    const head = text.slice(spans[from]!.start, Math.max(e.start, spans[from]!.start));
    const tail = text.slice(Math.min(e.end, spans[to - 1]!.end), spans[to - 1]!.end);
    out.push({ from, to, text: head + e.text + tail });
  }
  return out;
}
