/**
 * Measures: a quantity and a unit → number and symbol: "five kilometers" → "5 km",
 * "minus ten degrees celsius" → "-10 °C", "sixty miles per hour" → "60 mph".
 * Units of time ("ten minutes") stay words: readers expect them spelled out.
 */
import { formatAmount, parseAmount } from '../amount.js';
import { parseBelow100 } from '../numbers.js';
import type { Rule } from '../rule.js';

/**
 * Spoken unit (singular and plural forms) → symbol. Longer phrases are tried first, so
 * "degrees celsius" wins over "degrees".
 */
const UNITS: ReadonlyArray<[string, string]> = [
  ['degree celsius|degrees celsius|degree centigrade|degrees centigrade', '°C'],
  ['degree fahrenheit|degrees fahrenheit', '°F'],
  ['mile per hour|miles per hour', 'mph'],
  ['kilometer per hour|kilometers per hour|kilometre per hour|kilometres per hour', 'km/h'],
  ['meter per second|meters per second|metre per second|metres per second', 'm/s'],
  ['square meter|square meters|square metre|square metres', 'm²'],
  ['square kilometer|square kilometers|square kilometre|square kilometres', 'km²'],
  ['square foot|square feet', 'sq ft'],
  ['cubic meter|cubic meters|cubic metre|cubic metres', 'm³'],
  ['kilowatt hour|kilowatt hours', 'kWh'],
  ['degree|degrees', '°'],
  ['millimeter|millimeters|millimetre|millimetres', 'mm'],
  ['centimeter|centimeters|centimetre|centimetres', 'cm'],
  ['meter|meters|metre|metres', 'm'],
  ['kilometer|kilometers|kilometre|kilometres', 'km'],
  ['inch|inches', 'in'],
  ['foot|feet', 'ft'],
  ['yard|yards', 'yd'],
  ['mile|miles', 'mi'],
  ['milligram|milligrams', 'mg'],
  ['gram|grams', 'g'],
  ['kilogram|kilograms|kilo|kilos', 'kg'],
  ['tonne|tonnes|ton|tons', 't'],
  ['pound|pounds', 'lb'],
  ['ounce|ounces', 'oz'],
  ['milliliter|milliliters|millilitre|millilitres', 'ml'],
  ['liter|liters|litre|litres', 'l'],
  ['gallon|gallons', 'gal'],
  ['byte|bytes', 'B'],
  ['kilobyte|kilobytes', 'KB'],
  ['megabyte|megabytes', 'MB'],
  ['gigabyte|gigabytes', 'GB'],
  ['terabyte|terabytes', 'TB'],
  ['megabit|megabits', 'Mb'],
  ['hertz', 'Hz'],
  ['kilohertz', 'kHz'],
  ['megahertz', 'MHz'],
  ['gigahertz', 'GHz'],
  ['milliwatt|milliwatts', 'mW'],
  ['watt|watts', 'W'],
  ['kilowatt|kilowatts', 'kW'],
  ['megawatt|megawatts', 'MW'],
  ['volt|volts', 'V'],
  ['milliamp|milliamps|milliampere|milliamperes', 'mA'],
  ['amp|amps|ampere|amperes', 'A'],
  ['decibel|decibels', 'dB'],
];

interface UnitForm { words: readonly string[]; symbol: string }

const FORMS: readonly UnitForm[] = UNITS.flatMap(([spoken, symbol]) =>
  spoken.split('|').map((phrase) => ({ words: phrase.split(' '), symbol })),
).sort((a, b) => b.words.length - a.words.length);

/** Singular units that, after "one", are mostly idioms ("one foot in the door"). */
const IDIOMATIC_AFTER_ONE = new Set(['foot', 'inch', 'yard', 'pound', 'ton', 'degree']);

export const measure: Rule = {
  category: 'measure',
  match(words, i) {
    const amount = parseAmount(words, i, { allowNegative: true, allowBarePoint: true });
    if (!amount) return null;
    const j = amount.end;
    const unit = FORMS.find((f) => f.words.every((w, k) => words[j + k] === w));
    if (!unit) return null;
    const one = amount.whole === 1 && !amount.decimal && !amount.scaleWord && amount.sign === '';
    if (one && IDIOMATIC_AFTER_ONE.has(unit.words[0]!)) return null;
    const text = formatAmount(amount);
    const end = j + unit.words.length;
    if (unit.symbol === 'ft' && !amount.decimal) {
      // Heights: "five foot ten" / "six feet two inches" → "5 ft 10 in".
      const inches = parseBelow100(words, end);
      if (inches && inches.value < 12) {
        const named = words[inches.end] === 'inches' || words[inches.end] === 'inch';
        return { end: named ? inches.end + 1 : inches.end, text: `${text} ft ${inches.value} in` };
      }
    }
    // "20°" takes no space; SI symbols do ("5 km", "20 °C", ISO 80000-1).
    return { end, text: unit.symbol === '°' ? `${text}°` : `${text} ${unit.symbol}` };
  },
};
