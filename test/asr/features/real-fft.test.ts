import t from 'tap';
import { RealFft } from '../../../daemon/asr/features/real-fft.js';

/** |X[k]|² by the definition, O(n²). */
function naivePower(x: Float64Array): Float64Array {
  const n = x.length;
  const out = new Float64Array(n / 2 + 1);
  for (let k = 0; k <= n / 2; k++) {
    let re = 0;
    let im = 0;
    for (let i = 0; i < n; i++) {
      re += x[i]! * Math.cos((-2 * Math.PI * k * i) / n);
      im += x[i]! * Math.sin((-2 * Math.PI * k * i) / n);
    }
    out[k] = re * re + im * im;
  }
  return out;
}

t.test('power spectrum equals the DFT definition for even and odd stage counts', async (t) => {
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  for (const n of [8, 16, 64, 512, 1024]) {
    const fft = new RealFft(n);
    const x = Float64Array.from({ length: n }, rand);
    const ours = new Float64Array(n / 2 + 1);
    fft.powerSpectrum(x, ours);
    const ref = naivePower(x);
    let worst = 0;
    for (let k = 0; k <= n / 2; k++) worst = Math.max(worst, Math.abs(ours[k]! - ref[k]!) / Math.max(1, ref[k]!));
    t.ok(worst < 1e-9, `n=${n}: relative error ${worst.toExponential(1)}`);
  }
});

t.test('sizes that are not powers of two are refused', async (t) => {
  t.throws(() => new RealFft(400), /size 400 is not a power of two/);
});
