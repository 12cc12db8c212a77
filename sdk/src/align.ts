import type { TimedWord, TranscriptOutput } from './transcript.js';

/**
 * Timestamp alignment helpers for normalizers and filters: a plugin rewrites text, these
 * carry each word's time span over to the rewritten words.
 */

/** Characters written without spaces between them: Han, kana and CJK punctuation. */
const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\u3000-\u303f\uff01-\uff60]/u;

/**
 * Split text into alignment tokens: whitespace-separated words, with every Han or kana
 * character (and CJK punctuation) a token of its own, since Chinese and Japanese models emit
 * one timestamp per character. `"2025年3月 ok"` → `["2025", "年", "3", "月", "ok"]`.
 */
export function splitTokens(text: string): string[] {
  const tokens: string[] = [];
  for (const chunk of text.split(/\s+/)) {
    let run = '';
    for (const ch of chunk) {
      if (UNSPACED.test(ch)) {
        if (run) tokens.push(run);
        run = '';
        tokens.push(ch);
      } else {
        run += ch;
      }
    }
    if (run) tokens.push(run);
  }
  return tokens;
}

/**
 * Join tokens back into text: a space between two tokens unless the boundary on either side
 * is a Han/kana character or CJK punctuation (`["3", "月"]` → `"3月"`).
 */
export function joinTokens(tokens: readonly string[]): string {
  let out = '';
  for (const token of tokens) {
    if (!token) continue;
    const last = out.at(-1);
    const needsSpace = last !== undefined && !UNSPACED.test(last) && !UNSPACED.test(token[0] ?? '');
    out += (needsSpace ? ' ' : '') + token;
  }
  return out;
}

/** Spread `texts` evenly over the time span `[start, end]`, in order. */
function spread(texts: readonly string[], start: number, end: number, confidence?: number): TimedWord[] {
  const step = texts.length > 0 ? (end - start) / texts.length : 0;
  return texts.map((text, i) => {
    const word: TimedWord = { text, start: start + i * step, end: i === texts.length - 1 ? end : start + (i + 1) * step };
    if (confidence !== undefined) word.confidence = confidence;
    return word;
  });
}

/** The lowest confidence of `words`, or undefined when none reports one. */
function minConfidence(words: readonly TimedWord[]): number | undefined {
  let min: number | undefined;
  for (const w of words) if (w.confidence !== undefined) min = min === undefined ? w.confidence : Math.min(min, w.confidence);
  return min;
}

/** Above this many token pairs the longest-common-subsequence table would be too costly. */
const MAX_LCS_CELLS = 1_000_000;

/**
 * Give the tokens of `afterText` the timestamps of `before`, the words they came from.
 *
 * Tokens equal to an input word (found by longest common subsequence) keep that word's span
 * and confidence; each stretch of changed tokens gets the span of the input words it replaced,
 * shared evenly, with their lowest confidence; inserted tokens get a zero-length span at the
 * previous word's end. Returns `[]` when `before` is empty (the model gave no timestamps).
 */
export function realignWords(before: readonly TimedWord[], afterText: string): TimedWord[] {
  if (before.length === 0) return [];
  const after = splitTokens(afterText);
  const n = before.length;
  const m = after.length;
  if (n * m > MAX_LCS_CELLS) {
    return spread(after, before[0]!.start, before[n - 1]!.end, minConfidence(before));
  }
  // lcs[i][j] = length of the LCS of before[i..] and after[j..], as one flat array.
  const width = m + 1;
  const lcs = new Uint32Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * width + j] =
        before[i]!.text === after[j]
          ? lcs[(i + 1) * width + j + 1]! + 1
          : Math.max(lcs[(i + 1) * width + j]!, lcs[i * width + j + 1]!);
    }
  }
  const out: TimedWord[] = [];
  let i = 0;
  let j = 0;
  let gapI = 0;
  let gapJ = 0;
  const flushGap = (): void => {
    const replaced = before.slice(gapI, i);
    const texts = after.slice(gapJ, j);
    if (texts.length > 0) {
      if (replaced.length > 0) {
        out.push(...spread(texts, replaced[0]!.start, replaced[replaced.length - 1]!.end, minConfidence(replaced)));
      } else {
        const at = out.at(-1)?.end ?? before[i]?.start ?? before[n - 1]!.end;
        out.push(...spread(texts, at, at));
      }
    }
  };
  while (i < n && j < m) {
    if (before[i]!.text === after[j] && lcs[i * width + j] === lcs[(i + 1) * width + j + 1]! + 1) {
      flushGap();
      out.push({ ...before[i]!, text: after[j]! });
      i++;
      j++;
      gapI = i;
      gapJ = j;
    } else if (lcs[(i + 1) * width + j]! >= lcs[i * width + j + 1]!) {
      i++;
    } else {
      j++;
    }
  }
  i = n;
  j = m;
  flushGap();
  return out;
}

/** Replace the input words `[from, to)` (indices into the words array) with `text`. */
export interface WordEdit {
  /** Index of the first replaced word. */
  from: number;
  /** Index after the last replaced word; `to > from`. */
  to: number;
  /** The replacement; split into words with {@link splitTokens}; `""` deletes the words. */
  text: string;
}

/**
 * Apply word-level edits and return the new text and words with aligned timestamps: the
 * replacement of words `[from, to)` spans from the first replaced word's start to the last
 * one's end. For normalizers that find spoken forms on the word list (rather than on text).
 * @throws RangeError when edits overlap, are out of range or have `to <= from`.
 */
export function applyWordEdits(words: readonly TimedWord[], edits: readonly WordEdit[]): Required<TranscriptOutput> {
  const sorted = [...edits].sort((a, b) => a.from - b.from);
  const out: TimedWord[] = [];
  let next = 0;
  for (const edit of sorted) {
    if (edit.from < next || edit.to <= edit.from || edit.to > words.length) {
      throw new RangeError(`applyWordEdits: edit [${edit.from}, ${edit.to}) overlaps another or lies outside the ${words.length} words`);
    }
    out.push(...words.slice(next, edit.from).map((w) => ({ ...w })));
    const replaced = words.slice(edit.from, edit.to);
    out.push(...spread(splitTokens(edit.text), replaced[0]!.start, replaced[replaced.length - 1]!.end, minConfidence(replaced)));
    next = edit.to;
  }
  out.push(...words.slice(next).map((w) => ({ ...w })));
  return { text: joinTokens(out.map((w) => w.text)), words: out };
}

/** A rewrite of the characters `[start, end)` of a text into `text`. */
export interface TextSpanEdit {
  start: number;
  end: number;
  text: string;
}

/**
 * Applies span edits (sorted by `start`, not overlapping) to a text: the common last step of
 * a normalizer that first finds what to rewrite, then rewrites it.
 *
 * @example applyTextEdits('twenty three', [{ start: 0, end: 12, text: '23' }]) // '23'
 */
export function applyTextEdits(text: string, edits: readonly TextSpanEdit[]): string {
  let out = '';
  let at = 0;
  for (const e of edits) {
    out += text.slice(at, e.start) + e.text;
    at = e.end;
  }
  return out + text.slice(at);
}
