/**
 * Money: "twenty three dollars and fifty cents" and "twenty three dollars fifty" → "$23.50",
 * "fifty cents" → "$0.50", "two million dollars" → "$2 million", "ten euros" → "€10".
 * A bare number after the currency counts as cents only below a hundred.
 */
import { formatAmount, parseAmount, type Amount } from '../amount.js';
import { parseBelow100 } from '../numbers.js';
import type { Rule, RuleMatch } from '../rule.js';

interface Currency {
  symbol: string;
  /** Words for the hundredth part; empty when the currency has none in speech. */
  minor: readonly string[];
}

const DOLLAR: Currency = { symbol: '$', minor: ['cent', 'cents'] };
const EURO: Currency = { symbol: '€', minor: ['cent', 'cents'] };
const POUND: Currency = { symbol: '£', minor: ['penny', 'pence'] };

/** Currency names, one or two words. "pounds" alone is a weight (see measure.ts). */
const CURRENCIES: ReadonlyArray<[readonly string[], Currency]> = [
  [['united', 'states', 'dollars'], DOLLAR], [['us', 'dollars'], DOLLAR], [['american', 'dollars'], DOLLAR],
  [['dollars'], DOLLAR], [['dollar'], DOLLAR],
  [['bucks'], DOLLAR], [['buck'], DOLLAR],
  [['euros'], EURO], [['euro'], EURO],
  [['pounds', 'sterling'], POUND], [['pound', 'sterling'], POUND], [['british', 'pounds'], POUND],
  [['yen'], { symbol: '¥', minor: [] }],
  [['won'], { symbol: '₩', minor: [] }],
  [['yuan'], { symbol: 'CN¥', minor: [] }],
  [['rupees'], { symbol: '₹', minor: [] }], [['rupee'], { symbol: '₹', minor: [] }],
];

function currencyAt(words: readonly string[], j: number): { currency: Currency; end: number } | null {
  for (const [names, currency] of CURRENCIES) {
    if (names.every((name, k) => words[j + k] === name)) return { currency, end: j + names.length };
  }
  return null;
}

/** Cents after the currency: "and fifty cents", "fifty cents", or a bare "fifty". */
function centsAt(words: readonly string[], j: number, currency: Currency): { cents: number; end: number } | null {
  if (currency.minor.length === 0) return null;
  const afterAnd = words[j] === 'and';
  const n = parseBelow100(words, afterAnd ? j + 1 : j);
  if (!n || n.value === 0) return null;
  const named = currency.minor.includes(words[n.end] ?? '');
  // "and fifty" without "cents" is too loose ("five dollars and two apples").
  if (afterAnd && !named) return null;
  return { cents: n.value, end: named ? n.end + 1 : n.end };
}

function written(amount: Amount, currency: Currency, cents: number | null): string {
  if (cents !== null) return `${amount.sign}${currency.symbol}${amount.digits}.${String(cents).padStart(2, '0')}`;
  // Prices with a decimal point take two decimals: "$3.50", not "$3.5"; scaled ones do not.
  const digits = amount.decimal && !amount.scaleWord ? amount.digits.replace(/\.(\d)$/, '.$10') : amount.digits;
  return formatAmount({ ...amount, digits: `${currency.symbol}${digits}` });
}

/** "a dollar fifty" → "$1.50"; "a dollar" alone stays ("a dollar short"). */
function aSingleUnit(words: readonly string[], i: number): RuleMatch | null {
  const found = currencyAt(words, i + 1);
  if (!found || (found.end - i - 1 === 1 && words[i + 1]!.endsWith('s'))) return null;
  const cents = centsAt(words, found.end, found.currency);
  return cents ? { end: cents.end, text: `${found.currency.symbol}1.${String(cents.cents).padStart(2, '0')}` } : null;
}

export const money: Rule = {
  category: 'money',
  match(words, i): RuleMatch | null {
    if (words[i] === 'a' && currencyAt(words, i + 1)) return aSingleUnit(words, i);
    const amount = parseAmount(words, i, { allowA: true, allowNegative: true, allowBarePoint: true });
    if (!amount) return null;
    // "fifty cents" alone.
    if (!amount.decimal && !amount.scaleWord && amount.whole > 0 && amount.whole < 100 && DOLLAR.minor.includes(words[amount.end] ?? '')) {
      return { end: amount.end + 1, text: `${amount.sign}$0.${String(amount.whole).padStart(2, '0')}` };
    }
    const found = currencyAt(words, amount.end);
    if (!found) return null;
    const cents = amount.decimal || amount.scaleWord ? null : centsAt(words, found.end, found.currency);
    return { end: cents ? cents.end : found.end, text: written(amount, found.currency, cents ? cents.cents : null) };
  },
};
