/**
 * Telephone numbers said digit by digit: "five five five one two three four" → "555-1234",
 * ten digits → "555-123-4567", eleven starting with one → "1-800-555-1234", and with "plus"
 * an international number: "plus four four ..." → "+44...". Other digit runs stay ("one two three"
 * is more likely counting) unless a cue precedes them: "dial nine one one" → "dial 911".
 */
import { parseDigitRun } from '../numbers.js';
import { DIGITS } from '../vocabulary.js';
import type { Rule, RuleMatch } from '../rule.js';

/** North American grouping for 7 and 10 digits. */
function grouped(digits: string): string | null {
  if (digits.length === 7) return `${digits.slice(0, 3)}-${digits.slice(3)}`;
  if (digits.length === 10) return `${digits.slice(0, 3)}-${digits.slice(3, 6)}-${digits.slice(6)}`;
  return null;
}

/** Words after which (or after "<word> is") any run of three or more digits is a number to key in. */
const CUES = new Set([
  'dial', 'call', 'extension', 'ext', 'pin', 'code', 'room', 'number', 'flight', 'route', 'highway',
  'interstate', 'bus', 'channel', 'gate', 'platform', 'apartment', 'suite',
]);

/**
 * Area codes said as "eight hundred" (toll-free numbers): "[one] eight hundred five five five
 * one two one two" → "[1-]800-555-1212". `lead` is the digit run before "hundred".
 */
function hundredAreaCode(words: readonly string[], i: number, lead: string): RuleMatch | null {
  if ((lead.length !== 1 && !(lead.length === 2 && lead[0] === '1')) || lead.endsWith('0')) return null;
  const at = i + lead.length;
  if (words[at] !== 'hundred') return null;
  const rest = parseDigitRun(words, at + 1);
  if (rest.digits.length !== 7) return null;
  const number = grouped(`${lead.slice(-1)}00${rest.digits}`)!;
  return { end: rest.end, text: lead.length === 2 ? `1-${number}` : number };
}

export const telephone: Rule = {
  category: 'telephone',
  match(words, i) {
    const cued = CUES.has(words[i - 1] ?? '') || (words[i - 1] === 'is' && CUES.has(words[i - 2] ?? ''));
    if (cued) {
      const run = parseDigitRun(words, i);
      if (run.digits.length >= 3 && !grouped(run.digits)) return { end: run.end, text: run.digits };
    }
    // A number starts where the digits start; the tail of a longer run is not one.
    const previous = words[i - 1] ?? '';
    if (DIGITS[previous] !== undefined || previous === 'double' || previous === 'triple') return null;
    const plus = words[i] === 'plus';
    const run = parseDigitRun(words, plus ? i + 1 : i);
    const d = run.digits;
    if (plus) {
      // "+1" numbers keep the North American grouping; other countries' groupings differ by
      // country, so their digits stay together after the country code when we cannot tell.
      if (d.length === 11 && d.startsWith('1')) return { end: run.end, text: `+1 ${grouped(d.slice(1))}` };
      if (d.length < 8 || d.length > 15) return null;
      return { end: run.end, text: `+${d}` };
    }
    if (d.length === 11 && d.startsWith('1')) return { end: run.end, text: `1-${grouped(d.slice(1))}` };
    const tollFree = hundredAreaCode(words, i, d);
    if (tollFree) return tollFree;
    const text = grouped(d);
    return text ? { end: run.end, text } : null;
  },
};
