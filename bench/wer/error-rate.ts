/** WER and CER pooled over a set, after the same text normalisation for every system. */

/** Lower case, digits and letters only: systems differ in casing and punctuation, not in words. */
export function normalizeText(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9' ]+/g, ' ')
    .split(/\s+/)
    .filter(Boolean);
}

export function editDistance<T>(ref: readonly T[], hyp: readonly T[]): number {
  let prev = Array.from({ length: hyp.length + 1 }, (_, j) => j);
  for (let i = 1; i <= ref.length; i++) {
    const cur = [i];
    for (let j = 1; j <= hyp.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (ref[i - 1] === hyp[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[hyp.length]!;
}

export interface ErrorRates {
  wer: number;
  cer: number;
  words: number;
}

export function errorRates(pairs: readonly { reference: string; hypothesis: string }[]): ErrorRates {
  let we = 0;
  let wn = 0;
  let ce = 0;
  let cn = 0;
  for (const { reference, hypothesis } of pairs) {
    const r = normalizeText(reference);
    const h = normalizeText(hypothesis);
    we += editDistance(r, h);
    wn += r.length;
    const rc = [...r.join(' ')];
    ce += editDistance(rc, [...h.join(' ')]);
    cn += rc.length;
  }
  return { wer: wn ? we / wn : 0, cer: cn ? ce / cn : 0, words: wn };
}
