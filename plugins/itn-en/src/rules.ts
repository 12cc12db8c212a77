/**
 * The English rules in priority order: when two match the same words equally far, the
 * earlier one wins ("one hundredth" is a fraction before it is an ordinal).
 */
import type { Rule } from './rule.js';
import { date } from './rules/date.js';
import { time } from './rules/time.js';
import { money } from './rules/money.js';
import { measure } from './rules/measure.js';
import { percent } from './rules/percent.js';
import { fraction } from './rules/fraction.js';
import { decimal } from './rules/decimal.js';
import { telephone } from './rules/telephone.js';
import { ordinal } from './rules/ordinal.js';
import { cardinal } from './rules/cardinal.js';
import { range } from './rules/range.js';

export const RULES: readonly Rule[] = [date, time, money, measure, percent, fraction, decimal, telephone, ordinal, range, cardinal];
