/**
 * The polyphase filter bank of the resampler: a Kaiser-windowed sinc (J. O. Smith, "Digital
 * Audio Resampling Home Page", https://ccrma.stanford.edu/~jos/resample/; Kaiser design
 * formulas from Oppenheim & Schafer, "Discrete-Time Signal Processing", §7.5.3), sampled at
 * every phase once per (rates, design) and shared by every resampler with that design:
 * building it costs far more than a short stream, and the table never changes.
 */

export interface FilterDesign {
  /** Stopband attenuation in dB. */
  attenuationDb: number;
  /** Transition band as a fraction of the lower Nyquist frequency. */
  transitionWidth: number;
}

export interface PolyphaseTable {
  /** Rows (fractional positions p / phases) in the table. */
  readonly phases: number;
  /** Phase advance per output sample; input samples per output = step / phases. */
  readonly step: number;
  /**
   * The same advance split into whole input samples and a remainder below `phases`, so that
   * the position moves without a division per output.
   */
  readonly stepWhole: number;
  readonly stepFrac: number;
  /** Taps on each side of the interpolation point; 2 * half taps carry the filter. */
  readonly half: number;
  /**
   * Row length: 2 * half rounded up to a multiple of `TAP_ALIGN`, the padding taps are zero,
   * so a vector kernel can run whole blocks without a scalar tail.
   */
  readonly stride: number;
  /** phases x stride coefficients; row p is for fractional position p / phases. */
  readonly coefficients: Float32Array;
}

/** Above this many phases the table is quantised; 4096 keeps the timing error under -70 dB. */
const MAX_PHASES = 4096;
/** 16 taps = four 4-lane vectors per kernel iteration (see resampler-wasm.ts). */
export const TAP_ALIGN = 16;

const cache = new Map<string, PolyphaseTable>();

/** The table for these rates and this design, built on first use and then shared. */
export function polyphaseTable(inRate: number, outRate: number, design: FilterDesign): PolyphaseTable {
  const key = `${inRate}>${outRate}:${design.attenuationDb}:${design.transitionWidth}`;
  let table = cache.get(key);
  if (table === undefined) {
    table = buildTable(inRate, outRate, design);
    cache.set(key, table);
  }
  return table;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Zeroth-order modified Bessel function of the first kind, by its power series. */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 50; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return sum;
}

function kaiserBeta(attenuationDb: number): number {
  const a = attenuationDb;
  if (a > 50) return 0.1102 * (a - 8.7);
  if (a >= 21) return 0.5842 * (a - 21) ** 0.4 + 0.07886 * (a - 21);
  return 0;
}

function buildTable(inRate: number, outRate: number, design: FilterDesign): PolyphaseTable {
  const g = gcd(inRate, outRate);
  let phases = outRate / g;
  let step = inRate / g;
  if (phases > MAX_PHASES) {
    // Quantise the phase; the position still advances by the exact ratio on average.
    step = (step * MAX_PHASES) / phases;
    phases = MAX_PHASES;
  }
  const lowerNyquist = Math.min(inRate, outRate) / 2;
  const transition = (design.transitionWidth * lowerNyquist) / inRate; // cycles per input sample
  // Kaiser's estimate of the filter length for a given attenuation and transition width.
  const length = (design.attenuationDb - 8) / (2.285 * 2 * Math.PI * transition);
  const half = Math.max(2, Math.ceil(length / 2));
  const taps = half * 2;
  const stride = Math.ceil(taps / TAP_ALIGN) * TAP_ALIGN;
  const coefficients = new Float32Array(phases * stride);
  const cutoff = ((1 - design.transitionWidth / 2) * lowerNyquist) / inRate;
  const beta = kaiserBeta(design.attenuationDb);
  const i0beta = besselI0(beta);
  const row = new Float64Array(taps);
  for (let p = 0; p < phases; p++) {
    const frac = p / phases;
    let sum = 0;
    for (let k = 0; k < taps; k++) {
      // Tap k multiplies input sample (pos - half + 1 + k); its distance from the point:
      const x = k - half + 1 - frac;
      const r = x / half;
      const window = Math.abs(r) >= 1 ? 0 : besselI0(beta * Math.sqrt(1 - r * r)) / i0beta;
      const arg = 2 * cutoff * x;
      const sinc = arg === 0 ? 1 : Math.sin(Math.PI * arg) / (Math.PI * arg);
      row[k] = 2 * cutoff * sinc * window;
      sum += row[k]!;
    }
    // Exact unity gain at DC in every phase, so a constant stays constant.
    for (let k = 0; k < taps; k++) coefficients[p * stride + k] = row[k]! / sum;
  }
  const stepWhole = Math.floor(step / phases);
  return { phases, step, stepWhole, stepFrac: step - stepWhole * phases, half, stride, coefficients };
}
