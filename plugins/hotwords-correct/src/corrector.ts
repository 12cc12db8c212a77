import { isUnspacedScript, letters, similarity, soundKey } from './similarity.js';

/** How eager the corrector is. */
export interface CorrectorOptions {
  /** Least similarity (0..1) for a correction. */
  threshold: number;
  /** Least letter count of a hotword used for correction (a Han/kana character counts 2). */
  minLength: number;
}

/** One correction made, for logs and tests. */
export interface Correction {
  /** The text that was replaced, as it was. */
  from: string;
  /** The hotword written in its place. */
  to: string;
  score: number;
}

/** A token of the transcript with where it sits in the text. */
interface Token {
  text: string;
  start: number;
  end: number;
}

interface Target {
  phrase: string;
  letters: string;
  sound: string;
  tokens: number;
  unspaced: boolean;
}

/** Han/kana characters are tokens of their own, as the models emit them; else whitespace splits. */
const TOKEN = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]|[^\s\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]+/gu;

function tokenize(text: string): Token[] {
  return [...text.matchAll(TOKEN)].map((m) => ({ text: m[0], start: m.index, end: m.index + m[0].length }));
}

function weightedLength(text: string): number {
  return [...text].reduce((n, ch) => n + (isUnspacedScript(ch) ? 2 : 1), 0);
}

/** A cost for matching a stretch of a different word count than the hotword ("jet son" for "Jetson"). */
const SPLIT_PENALTY = 0.05;

/**
 * Precomputed hotwords for {@link correctText}; build once per hotword list change.
 */
export function buildTargets(phrases: Iterable<string>, options: CorrectorOptions): Target[] {
  const targets = new Map<string, Target>();
  for (const phrase of phrases) {
    const l = letters(phrase);
    if (l === '' || weightedLength(l) < options.minLength || targets.has(l)) continue;
    targets.set(l, { phrase, letters: l, sound: soundKey(phrase), tokens: tokenize(phrase).length, unspaced: isUnspacedScript(l) });
  }
  return [...targets.values()];
}

/**
 * Replace stretches of the text that look or sound almost like a hotword with the hotword.
 * Each candidate stretch has the hotword's word count or one more or less; its score is the
 * mean of spelling similarity and sound-key similarity (spelling alone for Han/kana), minus a
 * small penalty per word of difference. The best non-overlapping candidates at or above the
 * threshold win. Punctuation around the stretch and all text outside it stay as they were.
 */
export function correctText(text: string, targets: readonly Target[], options: CorrectorOptions): { text: string; corrections: Correction[] } {
  const tokens = tokenize(text);
  const maxSize = Math.min(tokens.length, Math.max(0, ...targets.map((t) => t.tokens)) + 1);
  // Every stretch of 1..maxSize tokens, with its letters and sound key computed once.
  const windows: Array<Array<{ letters: string; sound?: string }>> = [];
  for (let size = 1; size <= maxSize; size++) {
    const row: Array<{ letters: string; sound?: string }> = [];
    for (let first = 0; first + size <= tokens.length; first++) {
      row.push({ letters: letters(tokens.slice(first, first + size).map((t) => t.text).join(' ')) });
    }
    windows[size] = row;
  }
  const candidates: Array<{ first: number; last: number; target: Target; score: number }> = [];
  for (const target of targets) {
    const slack = target.letters.length * (1 - options.threshold) + 1;
    for (let size = Math.max(1, target.tokens - 1); size <= Math.min(maxSize, target.tokens + 1); size++) {
      const penalty = SPLIT_PENALTY * Math.abs(size - target.tokens);
      windows[size]!.forEach((w, first) => {
        // Cheap length check first: a stretch much longer or shorter cannot be a near-miss.
        if (w.letters === '' || Math.abs(w.letters.length - target.letters.length) > slack) return;
        // The sound part is at most 1, so a spelling below this cannot reach the threshold.
        const needed = target.unspaced ? options.threshold + penalty : 2 * (options.threshold + penalty) - 1;
        const spelled = similarity(w.letters, target.letters, needed);
        if (spelled < needed) return;
        w.sound ??= soundKey(w.letters);
        const score = (target.unspaced ? spelled : (spelled + similarity(w.sound, target.sound)) / 2) - penalty;
        if (score < options.threshold) return;
        const last = first + size - 1;
        const core = stripEdges(text.slice(tokens[first]!.start, tokens[last]!.end));
        // Equal already, or differing only in case where the hotword has no capitals to give.
        if (core === target.phrase || (core.toLowerCase() === target.phrase.toLowerCase() && target.phrase === target.phrase.toLowerCase())) return;
        candidates.push({ first, last, target, score });
      });
    }
  }
  candidates.sort((a, b) => b.score - a.score || b.last - b.first - (a.last - a.first));
  const taken: typeof candidates = [];
  for (const c of candidates) if (!taken.some((t) => c.first <= t.last && t.first <= c.last)) taken.push(c);
  taken.sort((a, b) => b.first - a.first);
  let out = text;
  const corrections: Correction[] = [];
  for (const c of taken) {
    const start = tokens[c.first]!.start;
    const end = tokens[c.last]!.end;
    const original = text.slice(start, end);
    const lead = /^[^\p{L}\p{N}]*/u.exec(original)![0];
    const trail = /[^\p{L}\p{N}]*$/u.exec(original)![0];
    out = out.slice(0, start) + lead + c.target.phrase + trail + out.slice(end);
    corrections.unshift({ from: original, to: c.target.phrase, score: Math.round(c.score * 1000) / 1000 });
  }
  return { text: out, corrections };
}

function stripEdges(text: string): string {
  return text.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');
}
