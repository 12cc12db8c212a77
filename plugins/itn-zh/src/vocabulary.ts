/** Chinese numerals and their values. */

/** A lookup table without a prototype, so that no input character finds Object's members. */
function table(entries: Record<string, number>): Readonly<Record<string, number>> {
  return Object.freeze(Object.assign(Object.create(null) as Record<string, number>, entries));
}

/** Digits as read in numbers ("两" only before units) and digit by digit ("幺" only there). */
export const DIGIT_VALUES: Readonly<Record<string, number>> = table({
  零: 0, 〇: 0, 一: 1, 幺: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9,
});

/** Characters read digit by digit in telephone numbers and years. */
export const DIGIT_STRING_CHARS = '零〇一幺二三四五六七八九';

/** Units inside a section below ten thousand. */
export const SMALL_UNITS: Readonly<Record<string, number>> = table({ 十: 10, 百: 100, 千: 1000 });

/** Units between sections. */
export const BIG_UNITS: Readonly<Record<string, number>> = table({ 万: 1e4, 亿: 1e8 });

/** Every character that can be part of a spoken number. */
export const NUMERAL_CHARS = '零〇一幺二两三四五六七八九十百千万亿';

export function isNumeral(ch: string | undefined): boolean {
  return ch !== undefined && ch !== '' && NUMERAL_CHARS.includes(ch);
}
