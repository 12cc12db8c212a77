/**
 * Power spectrum of a real signal whose length is a power of two.
 *
 * The N real samples are packed as N/2 complex values, transformed by an iterative radix-2 FFT,
 * and split into the N/2 + 1 bins of the real transform (the standard "two real FFTs for the
 * price of one complex" trick). Every table and work buffer is allocated once in the
 * constructor, so computing a frame allocates nothing.
 */
export class RealFft {
  readonly size: number;
  private readonly half: number;
  private readonly bitReverse: Uint32Array;
  /** cos/sin of -2πk/half for the complex stage, k < half/2. */
  private readonly stageCos: Float64Array;
  private readonly stageSin: Float64Array;
  /** cos/sin of -2πk/size for the split stage, k <= half. */
  private readonly splitCos: Float64Array;
  private readonly splitSin: Float64Array;
  private readonly re: Float64Array;
  private readonly im: Float64Array;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 4 || (size & (size - 1)) !== 0) {
      throw new Error(`RealFft: size ${size} is not a power of two >= 4; pad the frame (round_to_power_of_two)`);
    }
    this.size = size;
    const half = size / 2;
    this.half = half;
    const bits = Math.log2(half);
    this.bitReverse = new Uint32Array(half);
    for (let i = 0; i < half; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      this.bitReverse[i] = r;
    }
    this.stageCos = new Float64Array(Math.max(1, half / 2));
    this.stageSin = new Float64Array(Math.max(1, half / 2));
    for (let k = 0; k < half / 2; k++) {
      this.stageCos[k] = Math.cos((-2 * Math.PI * k) / half);
      this.stageSin[k] = Math.sin((-2 * Math.PI * k) / half);
    }
    this.splitCos = new Float64Array(half + 1);
    this.splitSin = new Float64Array(half + 1);
    for (let k = 0; k <= half; k++) {
      this.splitCos[k] = Math.cos((-2 * Math.PI * k) / size);
      this.splitSin[k] = Math.sin((-2 * Math.PI * k) / size);
    }
    this.re = new Float64Array(half);
    this.im = new Float64Array(half);
  }

  /**
   * Writes |X[k]|² for k = 0..size/2 into `power` (length >= size/2 + 1).
   * `input` holds `size` samples; it is not modified.
   */
  powerSpectrum(input: Float64Array, power: Float64Array): void {
    const { half, re, im, bitReverse } = this;
    // Bit-reversed load fused with the first (twiddle-free) butterfly stage.
    for (let i = 0; i < half; i += 2) {
      const j0 = bitReverse[i]!;
      const j1 = bitReverse[i + 1]!;
      const ar = input[2 * j0]!;
      const ai = input[2 * j0 + 1]!;
      const br = input[2 * j1]!;
      const bi = input[2 * j1 + 1]!;
      re[i] = ar + br;
      im[i] = ai + bi;
      re[i + 1] = ar - br;
      im[i + 1] = ai - bi;
    }
    // Remaining stages of the iterative Cooley-Tukey FFT; hot loop kept to locals.
    const cosT = this.stageCos;
    const sinT = this.stageSin;
    for (let len = 4; len <= half; len <<= 1) {
      const step = (half / len) | 0;
      const h = len >> 1;
      for (let k = 0; k < h; k++) {
        const wr = cosT[k * step]!;
        const wi = sinT[k * step]!;
        for (let a = k; a < half; a += len) {
          const b = a + h;
          const xr = re[b]!;
          const xi = im[b]!;
          const tr = xr * wr - xi * wi;
          const ti = xr * wi + xi * wr;
          const ar = re[a]!;
          const ai = im[a]!;
          re[b] = ar - tr;
          im[b] = ai - ti;
          re[a] = ar + tr;
          im[a] = ai + ti;
        }
      }
    }
    // Split: X[k] = (Z[k] + conj(Z[half-k]))/2 + W^k (Z[k] - conj(Z[half-k]))/(2i).
    power[0] = (re[0]! + im[0]!) ** 2;
    power[half] = (re[0]! - im[0]!) ** 2;
    for (let k = 1; k < half; k++) {
      const zr = re[k]!;
      const zi = im[k]!;
      const cr = re[half - k]!;
      const ci = -im[half - k]!;
      const er = (zr + cr) / 2;
      const ei = (zi + ci) / 2;
      // (Z[k] - conj(Z[half-k])) / (2i) = (di + i*(-dr)) / 2 with d = Z[k] - conj(...)
      const dr = zr - cr;
      const di = zi - ci;
      const or = di / 2;
      const oi = -dr / 2;
      const wr = this.splitCos[k]!;
      const wi = this.splitSin[k]!;
      const xr = er + (or * wr - oi * wi);
      const xi = ei + (or * wi + oi * wr);
      power[k] = xr * xr + xi * xi;
    }
  }
}
