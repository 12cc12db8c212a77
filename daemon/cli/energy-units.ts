/**
 * Energy and carbon for people to read: one transcription job spends joules, not
 * kilowatt-hours, so a fixed "0.0000 kWh  0.00 gCO2e" read as no work at all. Each figure
 * is shown in the unit that fits it, to three significant digits.
 */

/** 1.11 J, 12.3 Wh, 4.56 kWh. */
export function describeEnergy(joules: number): string {
  if (joules < 3600) return `${significant(joules)} J`;
  if (joules < 3.6e6) return `${significant(joules / 3600)} Wh`;
  return `${significant(joules / 3.6e6)} kWh`;
}

/** 0.0000617 gCO2e, 12.3 gCO2e, 4.56 kgCO2e. */
export function describeCarbon(grams: number): string {
  return grams < 1000 ? `${significant(grams)} gCO2e` : `${significant(grams / 1000)} kgCO2e`;
}

/** Three significant digits, without exponents from 1e-6 up and with whole numbers from 100. */
function significant(x: number): string {
  if (x === 0) return '0';
  return x >= 100 ? String(Math.round(x)) : x.toPrecision(3);
}
