import { SampleWindow } from './sample-window.js';

/**
 * Streaming band-limited resampler: windowed-sinc interpolation with a Kaiser window,
 * evaluated through a polyphase table (J. O. Smith, "Digital Audio Resampling Home Page",
 * https://ccrma.stanford.edu/~jos/resample/; Kaiser window design formulas from
 * Oppenheim & Schafer, "Discrete-Time Signal Processing", §7.5.3).
 *
 * Output sample n sits exactly at input time n * inRate / outRate (no group delay), so
 * timestamps computed from output sample counts match the source's timeline.
 */

export interface ResamplerOptions {
  /** Stopband attenuation in dB; 80 keeps aliases well under the -60 dB target. */
  attenuationDb?: number;
  /**
   * Width of the transition band as a fraction of the lower Nyquist frequency: the passband
   * ends at (1 - width) of it and the stopband starts at the lower Nyquist itself, so
   * nothing that would fold back below the output Nyquist gets through.
   */
  transitionWidth?: number;
}

/** Above this many phases the table is quantised; 4096 keeps the timing error under -70 dB. */
const MAX_PHASES = 4096;

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

export class Resampler {
  readonly inRate: number;
  readonly outRate: number;
  /** Input samples consumed per output sample = step / phases. */
  private readonly phases: number;
  private readonly step: number;
  /** Taps on each side of the interpolation point. */
  private readonly half: number;
  /** phases x (2 * half) coefficients; row p is for fractional position p / phases. */
  private table: Float32Array = new Float32Array(0);
  private readonly attenuationDb: number;
  private readonly transitionWidth: number;
  private readonly passthrough: boolean;

  /** Input not yet fully used, with `half` samples of history before the next position. */
  private readonly input: SampleWindow;
  /** Next output position = (posInt + posFrac / phases) in input samples. */
  private posInt = 0;
  private posFrac = 0;
  private inputSeen = 0;
  private outputMade = 0;
  private ended = false;

  constructor(inRate: number, outRate: number, options: ResamplerOptions = {}) {
    if (!(inRate > 0 && Number.isInteger(inRate)) || !(outRate > 0 && Number.isInteger(outRate))) {
      throw new Error(`Resampler: sample rates must be positive integers, got ${inRate} -> ${outRate}`);
    }
    this.inRate = inRate;
    this.outRate = outRate;
    this.attenuationDb = options.attenuationDb ?? 80;
    this.transitionWidth = options.transitionWidth ?? 0.1;
    this.passthrough = inRate === outRate;
    const g = gcd(inRate, outRate);
    let phases = outRate / g;
    let step = inRate / g;
    if (phases > MAX_PHASES) {
      // Quantise the phase; the position still advances by the exact ratio on average.
      step = (step * MAX_PHASES) / phases;
      phases = MAX_PHASES;
    }
    this.phases = phases;
    this.step = step;
    const lowerNyquist = Math.min(inRate, outRate) / 2;
    const transition = (this.transitionWidth * lowerNyquist) / inRate; // cycles per input sample
    // Kaiser's estimate of the filter length for a given attenuation and transition width.
    const length = (this.attenuationDb - 8) / (2.285 * 2 * Math.PI * transition);
    this.half = Math.max(2, Math.ceil(length / 2));
    // Starts with `half` zeros: the signal is silent before its first sample.
    this.input = new SampleWindow(this.half * 4 + 1024, -this.half);
    this.input.append(new Float32Array(this.half));
  }

  /** Filter taps per output sample (a measure of cost). */
  get tapsPerOutput(): number {
    return this.passthrough ? 0 : this.half * 2;
  }

  /** Resamples one chunk; returns what can be computed so far (the filter looks `half` samples ahead). */
  push(input: Float32Array): Float32Array {
    if (this.ended) throw new Error('Resampler: push() after flush()');
    this.inputSeen += input.length;
    if (this.passthrough) {
      this.outputMade += input.length;
      return input;
    }
    this.input.append(input);
    return this.produce(false);
  }

  /** Ends the stream: pads with silence and returns the last samples, so that the total is ceil(inputs * out/in). */
  flush(): Float32Array {
    if (this.ended) return new Float32Array(0);
    this.ended = true;
    if (this.passthrough) return new Float32Array(0);
    this.input.append(new Float32Array(this.half + 1));
    return this.produce(true);
  }

  private ensureTable(): void {
    if (this.table.length > 0) return;
    const taps = this.half * 2;
    const table = new Float32Array(this.phases * taps);
    const cutoff = ((1 - this.transitionWidth / 2) * Math.min(this.inRate, this.outRate)) / 2 / this.inRate;
    const beta = this.kaiserBeta();
    const i0beta = besselI0(beta);
    for (let p = 0; p < this.phases; p++) {
      const frac = p / this.phases;
      let sum = 0;
      for (let k = 0; k < taps; k++) {
        // Tap k multiplies input sample (pos - half + 1 + k); its distance from the point:
        const x = k - this.half + 1 - frac;
        const r = x / this.half;
        const window = Math.abs(r) >= 1 ? 0 : besselI0(beta * Math.sqrt(1 - r * r)) / i0beta;
        const arg = 2 * cutoff * x;
        const sinc = arg === 0 ? 1 : Math.sin(Math.PI * arg) / (Math.PI * arg);
        const h = 2 * cutoff * sinc * window;
        table[p * taps + k] = h;
        sum += h;
      }
      // Exact unity gain at DC in every phase, so a constant stays constant.
      for (let k = 0; k < taps; k++) table[p * taps + k]! /= sum;
    }
    this.table = table;
  }

  private kaiserBeta(): number {
    const a = this.attenuationDb;
    if (a > 50) return 0.1102 * (a - 8.7);
    if (a >= 21) return 0.5842 * (a - 21) ** 0.4 + 0.07886 * (a - 21);
    return 0;
  }

  private produce(final: boolean): Float32Array {
    this.ensureTable();
    const taps = this.half * 2;
    const limit = final
      ? Math.ceil((this.inputSeen * this.outRate) / this.inRate) - this.outputMade
      : Number.POSITIVE_INFINITY;
    // Output n needs input up to posInt + half.
    const lastIndex = this.input.end - 1;
    const room = Math.floor(((lastIndex - this.half - this.posInt + 1) * this.phases) / this.step) + 1;
    const out = new Float32Array(Math.max(0, Math.min(limit, room + 1)));
    let n = 0;
    const table = this.table;
    const buf = this.input.data;
    const bufStart = this.input.start;
    // Locals in the hot loop: property reads per sample cost more than the arithmetic.
    const half = this.half;
    const phases = this.phases;
    const step = this.step;
    let posInt = this.posInt;
    let posFrac = this.posFrac;
    while (n < out.length && posInt + half <= lastIndex) {
      const base = posInt - half + 1 - bufStart;
      const row = Math.floor(posFrac) * taps;
      let acc = 0;
      for (let k = 0; k < taps; k++) acc += buf[base + k]! * table[row + k]!;
      out[n++] = acc;
      posFrac += step;
      if (posFrac >= phases) {
        const whole = Math.floor(posFrac / phases);
        posInt += whole;
        posFrac -= whole * phases;
      }
    }
    this.posInt = posInt;
    this.posFrac = posFrac;
    this.outputMade += n;
    // Keep `half - 1` samples of history before the next position.
    this.input.dropBefore(this.posInt - this.half + 1);
    return n === out.length ? out : out.subarray(0, n);
  }
}
