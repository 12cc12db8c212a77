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
    if (!Number.isInteger(size) || size < 8 || (size & (size - 1)) !== 0) {
      throw new Error(`RealFft: size ${size} is not a power of two >= 8; pad the frame (round_to_power_of_two)`);
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
    // Bit-reversed load fused with the first two stages, whose twiddles are 1 and -i.
    for (let i = 0; i < half; i += 4) {
      const j0 = bitReverse[i]! * 2;
      const j1 = bitReverse[i + 1]! * 2;
      const j2 = bitReverse[i + 2]! * 2;
      const j3 = bitReverse[i + 3]! * 2;
      const x0r = input[j0]!;
      const x0i = input[j0 + 1]!;
      const x1r = input[j1]!;
      const x1i = input[j1 + 1]!;
      const x2r = input[j2]!;
      const x2i = input[j2 + 1]!;
      const x3r = input[j3]!;
      const x3i = input[j3 + 1]!;
      const y0r = x0r + x1r;
      const y0i = x0i + x1i;
      const y1r = x0r - x1r;
      const y1i = x0i - x1i;
      const y2r = x2r + x3r;
      const y2i = x2i + x3i;
      const y3r = x2r - x3r;
      const y3i = x2i - x3i;
      re[i] = y0r + y2r;
      im[i] = y0i + y2i;
      re[i + 2] = y0r - y2r;
      im[i + 2] = y0i - y2i;
      // (-i)(y3r + i y3i) = y3i - i y3r
      re[i + 1] = y1r + y3i;
      im[i + 1] = y1i - y3r;
      re[i + 3] = y1r - y3i;
      im[i + 3] = y1i + y3r;
    }
    // Remaining radix-2 stages, two at a time (radix-2^2): each pass reads and writes four
    // values once instead of twice, which is what costs most in JavaScript.
    const cosT = this.stageCos;
    const sinT = this.stageSin;
    let len = 8;
    for (; len * 2 <= half; len *= 4) {
      const h = len >> 1;
      const step1 = (half / len) | 0; // twiddle stride of stage `len`
      const step2 = step1 >> 1; // of stage `2 len`
      const block = len * 2;
      for (let k = 0; k < h; k++) {
        const w1r = cosT[k * step1]!;
        const w1i = sinT[k * step1]!;
        const w2r = cosT[k * step2]!;
        const w2i = sinT[k * step2]!;
        for (let i0 = k; i0 < half; i0 += block) {
          const i1 = i0 + h;
          const i2 = i0 + len;
          const i3 = i2 + h;
          // stage len: (i0, i1) and (i2, i3) with w1
          let xr = re[i1]!;
          let xi = im[i1]!;
          let tr = xr * w1r - xi * w1i;
          let ti = xr * w1i + xi * w1r;
          const y0r = re[i0]! + tr;
          const y0i = im[i0]! + ti;
          const y1r = re[i0]! - tr;
          const y1i = im[i0]! - ti;
          xr = re[i3]!;
          xi = im[i3]!;
          tr = xr * w1r - xi * w1i;
          ti = xr * w1i + xi * w1r;
          const y2r = re[i2]! + tr;
          const y2i = im[i2]! + ti;
          const y3r = re[i2]! - tr;
          const y3i = im[i2]! - ti;
          // stage 2 len: (i0, i2) with w2, (i1, i3) with w2 · (-i)
          const ar = y2r * w2r - y2i * w2i;
          const ai = y2r * w2i + y2i * w2r;
          const br = y3r * w2r - y3i * w2i;
          const bi = y3r * w2i + y3i * w2r;
          re[i0] = y0r + ar;
          im[i0] = y0i + ai;
          re[i2] = y0r - ar;
          im[i2] = y0i - ai;
          // (-i)(br + i bi) = bi - i br
          re[i1] = y1r + bi;
          im[i1] = y1i - br;
          re[i3] = y1r - bi;
          im[i3] = y1i + br;
        }
      }
    }
    // A last single stage when the number of stages left was odd.
    if (len <= half) {
      const h = len >> 1;
      const step = (half / len) | 0;
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
