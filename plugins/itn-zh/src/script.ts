/**
 * Traditional characters: the rules are written for simplified Chinese; traditional input
 * (zh-TW, zh-HK models) is read through a one-to-one character map, so offsets stay the same,
 * and a rewrite of a traditional span is written back in traditional characters
 * ("兩點半" → "2:30", "三點鐘" → "3點鐘", "一萬" → "1萬").
 */

/** Traditional → simplified, pairwise; only characters the rules read or write. */
const PAIRS =
  '萬万億亿兩两點点塊块錢钱號号鐘钟個个歲岁時时後后負负幾几噸吨釐厘攝摄華华鎊镑歐欧幣币韓韩盧卢' +
  '電电話话碼码機机編编間间驗验證证撥拨畝亩';

const TO_SIMPLIFIED = new Map<string, string>();
const TO_TRADITIONAL = new Map<string, string>();
for (let k = 0; k < PAIRS.length; k += 2) {
  TO_SIMPLIFIED.set(PAIRS[k]!, PAIRS[k + 1]!);
  TO_TRADITIONAL.set(PAIRS[k + 1]!, PAIRS[k]!);
}

/** `text` with the mapped traditional characters simplified; same length, same offsets. */
export function simplifiedView(text: string): string {
  let out = '';
  for (const ch of text) out += TO_SIMPLIFIED.get(ch) ?? ch;
  return out;
}

/** Whether `text` has any of the mapped traditional characters. */
export function hasTraditional(text: string): boolean {
  for (const ch of text) if (TO_SIMPLIFIED.has(ch)) return true;
  return false;
}

/** `written` with the mapped simplified characters in their traditional form. */
export function traditionalForm(written: string): string {
  let out = '';
  for (const ch of written) out += TO_TRADITIONAL.get(ch) ?? ch;
  return out;
}
