/** One row of the distance table, reused across calls (the corrector runs it thousands of times per transcript). */
let row = new Uint16Array(64);

/**
 * Levenshtein distance (insert, delete, substitute all cost 1) over UTF-16 code units, which
 * for the letters of names is the same as over characters. With `max`, any distance above it
 * is returned as `max + 1` as soon as that is certain.
 */
export function levenshtein(a: string, b: string, max = Infinity): number {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > max) return max + 1;
  if (row.length <= b.length) row = new Uint16Array(b.length * 2);
  for (let j = 0; j <= b.length; j++) row[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    const ca = a.charCodeAt(i - 1);
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      const cell = Math.min(above + 1, row[j - 1]! + 1, diagonal + (ca === b.charCodeAt(j - 1) ? 0 : 1));
      row[j] = cell;
      if (cell < best) best = cell;
      diagonal = above;
    }
    // Every later row is at least this row's minimum: stop once it is past the bound.
    if (best > max) return max + 1;
  }
  return row[b.length]!;
}

/** 1 for equal strings, 0 for nothing in common: edit distance scaled by the longer length. */
export function similarity(a: string, b: string, atLeast = 0): number {
  const longest = Math.max(a.length, b.length);
  if (longest === 0) return 1;
  // A similarity below atLeast is reported as 0 without finishing the table.
  const max = Math.floor((1 - atLeast) * longest + 1e-9);
  const distance = levenshtein(a, b, max);
  return distance > max ? 0 : 1 - distance / longest;
}

/** Letters and digits only, lowercase, accents removed: `"Jean-Luc"` → `"jeanluc"`. */
export function letters(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]/gu, '');
}

/**
 * Spelling rules that map English letter groups to one sound, applied in order. Our own small
 * set in the spirit of Soundex/Metaphone: enough to see that "kubernetties" and "cooper
 * nettys" sound alike, not a full pronunciation model.
 */
const SOUND_RULES: Array<[RegExp, string]> = [
  [/^kn/, 'n'],
  [/^wr/, 'r'],
  [/^ps/, 's'],
  [/tch/g, 'ch'],
  [/sch/g, 'sk'],
  [/ck/g, 'k'],
  [/ph/g, 'f'],
  [/wh/g, 'w'],
  [/dg/g, 'j'],
  [/gh/g, 'g'],
  [/c(?=[eiy])/g, 's'],
  [/c/g, 'k'],
  [/q/g, 'k'],
  [/x/g, 'ks'],
  [/z/g, 's'],
  [/v/g, 'f'],
  [/b/g, 'p'],
  [/d/g, 't'],
];

/**
 * A sound key for Latin-script words: the rules above, then vowels (and y, w, h) dropped
 * after the first letter, then doubled letters collapsed. `"Jetson"` → `"jtsn"`,
 * `"jet sun"` → `"jtsn"`. Other scripts are returned as their letters.
 */
export function soundKey(text: string): string {
  let s = letters(text);
  if (!/^[a-z0-9]*$/.test(s)) return s;
  for (const [pattern, replacement] of SOUND_RULES) s = s.replace(pattern, replacement);
  const head = s.slice(0, 1).replace(/[aeiouy]/, 'a');
  const tail = s.slice(1).replace(/[aeiouyhw]/g, '');
  return (head + tail).replace(/(.)\1+/g, '$1');
}

/** Whether the text is written in Han or kana, where letters are compared without a sound key. */
export function isUnspacedScript(text: string): boolean {
  return /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u.test(text);
}
