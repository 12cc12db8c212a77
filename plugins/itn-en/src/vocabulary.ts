/** English number words and their values. */

/**
 * A lookup table without a prototype: the rules look up arbitrary words, and "constructor"
 * or "__proto__" must not find Object's members.
 */
function table<V>(entries: Record<string, V>): Readonly<Record<string, V>> {
  return Object.freeze(Object.assign(Object.create(null) as Record<string, V>, entries));
}

export const ONES: Readonly<Record<string, number>> = table({
  one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9,
});

export const TEENS: Readonly<Record<string, number>> = table({
  ten: 10, eleven: 11, twelve: 12, thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16,
  seventeen: 17, eighteen: 18, nineteen: 19,
});

export const TENS: Readonly<Record<string, number>> = table({
  twenty: 20, thirty: 30, forty: 40, fifty: 50, sixty: 60, seventy: 70, eighty: 80, ninety: 90,
});

/** Scale words after a group of up to three digits. */
export const SCALES: Readonly<Record<string, number>> = table({
  thousand: 1e3, million: 1e6, billion: 1e9, trillion: 1e12,
});

/** Ordinal words and the cardinal word they stand for ("twenty first" reads as "twenty one"). */
export const ORDINAL_TO_CARDINAL: Readonly<Record<string, string>> = table({
  first: 'one', second: 'two', third: 'three', fourth: 'four', fifth: 'five', sixth: 'six',
  seventh: 'seven', eighth: 'eight', ninth: 'nine', tenth: 'ten', eleventh: 'eleven',
  twelfth: 'twelve', thirteenth: 'thirteen', fourteenth: 'fourteen', fifteenth: 'fifteen',
  sixteenth: 'sixteen', seventeenth: 'seventeen', eighteenth: 'eighteen', nineteenth: 'nineteen',
  twentieth: 'twenty', thirtieth: 'thirty', fortieth: 'forty', fiftieth: 'fifty', sixtieth: 'sixty',
  seventieth: 'seventy', eightieth: 'eighty', ninetieth: 'ninety', hundredth: 'hundred',
  thousandth: 'thousand', millionth: 'million', billionth: 'billion',
});

/** Digit words as read in telephone numbers, decimals and times ("oh" is zero). */
export const DIGITS: Readonly<Record<string, string>> = table({
  zero: '0', oh: '0', o: '0', one: '1', two: '2', three: '3', four: '4', five: '5', six: '6',
  seven: '7', eight: '8', nine: '9',
});

/** Plural tens for decades: "the nineteen nineties" → "the 1990s". */
export const DECADES: Readonly<Record<string, number>> = table({
  tens: 10, twenties: 20, thirties: 30, forties: 40, fifties: 50, sixties: 60, seventies: 70, eighties: 80, nineties: 90,
});

/** Words that make up spoken numbers (for telling "five-hundred" from "five-dollar"). */
export function isNumberWord(word: string): boolean {
  return ONES[word] !== undefined || TEENS[word] !== undefined || TENS[word] !== undefined || SCALES[word] !== undefined
    || word === 'hundred' || word === 'zero' || word === 'point' || word === 'and' || word === 'a';
}

export const MONTHS: readonly string[] = [
  'january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september',
  'october', 'november', 'december',
];

/**
 * Every word a rule can start at: number words, months, signs and the few glue words rules
 * begin with ("the first of march", "at seven fifteen", "half past", "a hundred dollars").
 * The normalizer skips other words without asking the rules, which keeps long transcripts cheap.
 */
export function canStartMatch(word: string): boolean {
  return ONES[word] !== undefined || TEENS[word] !== undefined || TENS[word] !== undefined
    || ORDINAL_TO_CARDINAL[word] !== undefined || DIGITS[word] !== undefined || STARTERS.has(word) || MONTHS.includes(word);
}

const STARTERS = new Set([
  'minus', 'negative', 'plus', 'double', 'triple', 'a', 'the', 'at', 'half', 'quarter', 'point', 'between',
]);
