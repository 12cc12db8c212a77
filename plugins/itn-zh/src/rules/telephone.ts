/**
 * Telephone and other digit-by-digit numbers: "一三八一二三四五六七八" → "13812345678",
 * "幺幺零" → "110". A run of seven or more digits is a number to dial; a shorter one (three
 * or more) only when it contains 幺 (said only in digit strings) or follows a cue such as
 * 电话/号码/房间 — "七七八八" stays an idiom.
 */
import { numeralRunEnd, parseDigitString } from '../numbers.js';
import type { Rule } from '../rule.js';

const CUES = ['电话', '号码', '手机', '编号', '尾号', '房间', '验证码', '密码', '分机', '拨打', '拨', '打'];

export const telephone: Rule = {
  category: 'telephone',
  match(text, i) {
    const end = numeralRunEnd(text, i);
    const digits = parseDigitString(text.slice(i, end));
    if (digits === null) return null;
    const before = text.slice(0, i).replace(/[是为：:\s]+$/u, '');
    const cued = CUES.some((c) => before.endsWith(c));
    // Up to 20 digits: telephone, ID-card (18) and bank-card (19) numbers; longer runs are not one number.
    if (digits.length > 20) return null;
    if (digits.length >= 7 || (digits.length >= 3 && (text.slice(i, end).includes('幺') || cued))) {
      return { end, text: digits };
    }
    return null;
  },
};
