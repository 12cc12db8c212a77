/**
 * The Chinese rules in priority order: when two match equally far, the earlier one wins
 * ("三点十五分" is a time before "三点一" could be anything else).
 */
import type { Rule } from './rule.js';
import { date } from './rules/date.js';
import { time } from './rules/time.js';
import { money } from './rules/money.js';
import { measure } from './rules/measure.js';
import { percent } from './rules/percent.js';
import { fraction } from './rules/fraction.js';
import { telephone } from './rules/telephone.js';
import { decimal } from './rules/decimal.js';
import { ordinal } from './rules/ordinal.js';
import { cardinal } from './rules/cardinal.js';
import { range } from './rules/range.js';

export const RULES: readonly Rule[] = [date, time, money, measure, percent, fraction, telephone, decimal, ordinal, range, cardinal];
