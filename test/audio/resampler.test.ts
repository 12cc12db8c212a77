import t from 'tap';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Resampler } from '../../daemon/audio/resampler.js';
import { ScalarPolyphase } from '../../daemon/audio/resampler-scalar.js';
import { polyphaseTable, TAP_ALIGN } from '../../daemon/audio/resampler-table.js';
import { WasmPolyphase, wasmSimdAvailable } from '../../daemon/audio/resampler-wasm.js';
import { decodeAll } from '../../daemon/audio/decode-file.js';
import { tempDir } from '../helpers/paths.js';

/** Pushes `x` in pieces of the given sizes, then flushes; returns everything that came out. */
function runChunks(r: Resampler, x: Float32Array, sizes: number[]): Float32Array {
  const parts: Float32Array[] = [];
  let at = 0;
  for (const size of sizes) {
    parts.push(r.push(x.subarray(at, at + size)));
    at += size;
  }
  parts.push(r.flush());
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Runs `input` through a resampler in uneven chunks, as a stream would arrive. */
function resample(inRate: number, outRate: number, input: Float32Array, chunk = 997): Float32Array {
  const sizes: number[] = [];
  for (let i = 0; i < input.length; i += chunk) sizes.push(Math.min(chunk, input.length - i));
  return runChunks(new Resampler(inRate, outRate), input, sizes);
}

/** A linear chirp from f0 to f1 Hz; returns the signal and its instantaneous frequency per sample. */
function chirp(rate: number, f0: number, f1: number, seconds: number): { x: Float32Array; freq: (t: number) => number } {
  const n = Math.round(rate * seconds);
  const x = new Float32Array(n);
  const k = (f1 - f0) / seconds;
  for (let i = 0; i < n; i++) {
    const time = i / rate;
    x[i] = 0.5 * Math.sin(2 * Math.PI * (f0 * time + (k * time * time) / 2));
  }
  return { x, freq: (time) => f0 + k * time };
}

function energy(x: Float32Array, from: number, to: number): number {
  let e = 0;
  for (let i = Math.max(0, from); i < Math.min(x.length, to); i++) e += x[i]! * x[i]!;
  return e;
}

const db = (ratio: number) => 10 * Math.log10(ratio);

/**
 * Sweeps across the whole input band: while the sweep is above the output's Nyquist
 * frequency (plus the filter's time smear), whatever comes out is alias. Its energy must be
 * under -60 dB of the input's; while the sweep is in the passband, the level is kept.
 */
function sweepAlias(inRate: number, outRate: number): { aliasDb: number; passbandDb: number } {
  const seconds = 2;
  const { x, freq } = chirp(inRate, 50, inRate / 2 - 50, seconds);
  const y = resample(inRate, outRate, x);
  const nyquistOut = outRate / 2;
  let aliasOut = 0;
  let aliasIn = 0;
  let passOut = 0;
  let passIn = 0;
  const win = Math.round(outRate * 0.01); // 10 ms windows
  for (let s = 0; s + win <= y.length; s += win) {
    const time = (s + win / 2) / outRate;
    const f = freq(time);
    const inFrom = Math.round((s * inRate) / outRate);
    const inTo = Math.round(((s + win) * inRate) / outRate);
    // Energies per sample, so that the two rates compare.
    const eOut = energy(y, s, s + win) / win;
    const eIn = energy(x, inFrom, inTo) / (inTo - inFrom);
    if (f > nyquistOut * 1.02) {
      aliasOut += eOut;
      aliasIn += eIn;
    } else if (f < nyquistOut * 0.85 && time > 0.05) {
      passOut += eOut;
      passIn += eIn;
    }
  }
  return { aliasDb: db(aliasOut / aliasIn), passbandDb: db(passOut / passIn) };
}

for (const inRate of [44100, 48000, 22050, 32000]) {
  t.test(`sine sweep ${inRate} Hz -> 16 kHz: aliases under -60 dB, passband kept`, async (t) => {
    const { aliasDb, passbandDb } = sweepAlias(inRate, 16000);
    t.ok(aliasDb < -60, `alias energy ${aliasDb.toFixed(1)} dB`);
    t.ok(Math.abs(passbandDb) < 0.1, `passband level ${passbandDb.toFixed(3)} dB`);
  });
}

/** Energy at one frequency, by correlation with a complex tone over the whole signal. */
function toneLevel(x: Float32Array, rate: number, f: number, from: number): number {
  let re = 0;
  let im = 0;
  for (let i = from; i < x.length - from; i++) {
    re += x[i]! * Math.cos((2 * Math.PI * f * i) / rate);
    im += x[i]! * Math.sin((2 * Math.PI * f * i) / rate);
  }
  return (re * re + im * im) / (x.length - 2 * from) ** 2;
}

t.test('upsampling 8 kHz -> 16 kHz leaves no image above 4 kHz', async (t) => {
  for (const f of [440, 1500, 3000, 3500]) {
    const n = 8000;
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = 0.5 * Math.sin((2 * Math.PI * f * i) / 8000);
    const y = resample(8000, 16000, x);
    const tone = toneLevel(y, 16000, f, 800);
    const image = toneLevel(y, 16000, 8000 - f, 800);
    t.ok(db(image / tone) < -60, `${f} Hz: image at ${8000 - f} Hz is ${db(image / tone).toFixed(1)} dB`);
  }
});

t.test('output length is ceil(n * out / in), independent of chunking, and timing is exact', async (t) => {
  const rate = 44100;
  const x = new Float32Array(rate + 123);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin((2 * Math.PI * 300 * i) / rate);
  const a = resample(rate, 16000, x, 1);
  const b = resample(rate, 16000, x, 100_000);
  t.equal(a.length, Math.ceil((x.length * 16000) / rate));
  t.equal(b.length, a.length);
  let maxDiff = 0;
  for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
  t.ok(maxDiff < 1e-6, `chunking changes nothing (max diff ${maxDiff})`);
  // No group delay: output sample n is the input at time n / 16000.
  let err = 0;
  for (let i = 1000; i < 15000; i++) err = Math.max(err, Math.abs(a[i]! - Math.sin((2 * Math.PI * 300 * i) / 16000)));
  t.ok(err < 1e-3, `max deviation from the ideal 300 Hz sine ${err}`);
});

t.test('a constant stays constant; equal rates pass through untouched', async (t) => {
  const y = resample(48000, 16000, new Float32Array(48000).fill(0.25));
  let worst = 0;
  for (let i = 200; i < y.length - 200; i++) worst = Math.max(worst, Math.abs(y[i]! - 0.25));
  t.ok(worst < 1e-5, `a constant 0.25 stays within ${worst} of itself`);
  const same = new Resampler(16000, 16000);
  const x = Float32Array.of(0.1, 0.2, 0.3);
  t.same(Array.from(same.push(x)), Array.from(x));
  t.equal(same.flush().length, 0);
  t.throws(() => new Resampler(0, 16000), /sample rates must be positive integers/);
});

t.test('against sox on the same sweep: both reject aliases, and agree in the passband', async (t) => {
  const dir = tempDir();
  const sweep = join(dir, 'sweep.wav');
  const soxOut = join(dir, 'sox16k.wav');
  const made = spawnSync('sox', ['-n', '-r', '44100', '-b', '32', '-e', 'floating-point', sweep, 'synth', '2', 'sine', '50-7000', 'vol', '0.5']);
  t.equal(made.status, 0, `sox makes the sweep (${made.stderr?.toString() ?? 'sox not installed: apt-get install sox'})`);
  const rs = spawnSync('sox', [sweep, '-b', '32', '-e', 'floating-point', soxOut, 'rate', '-v', '16000']);
  t.equal(rs.status, 0, 'sox resamples it');
  const ours = resample(44100, 16000, await decodeAll(sweep, { sampleRate: 44100 }));
  const theirs = await decodeAll(soxOut);
  t.ok(Math.abs(ours.length - theirs.length) <= 1, `lengths ${ours.length} vs ${theirs.length}`);
  // Compare where both are in the passband and away from the ends.
  let diff = 0;
  let ref = 0;
  for (let i = 1600; i < Math.min(ours.length, theirs.length) - 1600; i++) {
    diff += (ours[i]! - theirs[i]!) ** 2;
    ref += theirs[i]! ** 2;
  }
  t.ok(db(diff / ref) < -50, `difference from sox ${db(diff / ref).toFixed(1)} dB`);
});

/** A 32-bit linear congruential generator (Numerical Recipes constants), exact in integer math. */
function lcg(state: number): number {
  return (Math.imul(state, 1664525) + 1013904223) >>> 0;
}

/** Deterministic uneven chunk sizes (0 included). */
function chunkSizes(total: number, seed: number, largest: number): number[] {
  const sizes: number[] = [];
  let state = seed;
  for (let sum = 0; sum < total; ) {
    state = lcg(state);
    const size = Math.min(total - sum, state % (largest + 1));
    sizes.push(size);
    sum += size;
  }
  return sizes;
}

function noise(n: number, seed: number): Float32Array {
  const x = new Float32Array(n);
  let state = seed;
  for (let i = 0; i < n; i++) {
    state = lcg(state);
    x[i] = state / 2 ** 31 - 1;
  }
  return x;
}

t.test('the same input gives bit-identical output however it is chunked', async (t) => {
  // 44100 -> 16001 has more phases than the table holds, so its step is quantised.
  for (const [inRate, outRate] of [[44100, 16000], [48000, 16000], [22050, 16000], [32000, 16000], [8000, 16000], [44100, 16001]] as const) {
    const x = noise(inRate + 4321, inRate);
    const whole = runChunks(new Resampler(inRate, outRate), x, [x.length]);
    t.equal(whole.length, Math.ceil((x.length * outRate) / inRate), `${inRate} -> ${outRate}: length`);
    // Tiny chunks, then chunks larger than the engine's internal input block.
    for (const [seed, largest] of [[1, 7], [2, 300], [3, 50_000]] as const) {
      const chunked = runChunks(new Resampler(inRate, outRate), x, chunkSizes(x.length, seed, largest));
      let same = chunked.length === whole.length;
      for (let i = 0; same && i < whole.length; i++) same = Object.is(chunked[i], whole[i]);
      t.ok(same, `${inRate} -> ${outRate}, chunks up to ${largest}: identical samples`);
    }
  }
});

t.test('the polyphase table is built once per rate pair and design, and shared', async (t) => {
  const design = { attenuationDb: 80, transitionWidth: 0.1 };
  const a = polyphaseTable(44100, 16000, design);
  t.equal(polyphaseTable(44100, 16000, { ...design }), a, 'same rates and design: the same table object');
  t.not(polyphaseTable(44100, 16000, { ...design, attenuationDb: 90 }), a, 'another design: another table');
  t.not(polyphaseTable(48000, 16000, design), a, 'other rates: another table');
  // 44100 -> 16000 = 160 / 441 in lowest terms: 160 phases, 441/160 input samples per output.
  t.equal(a.phases, 160);
  t.equal(a.step, 441);
  t.equal(a.stepWhole * a.phases + a.stepFrac, a.step, 'whole + fraction is the step');
  t.equal(a.stride % TAP_ALIGN, 0, 'rows padded to whole vector blocks');
  t.equal(a.coefficients.length, a.phases * a.stride);
  let worstDc = 0;
  let padding = 0;
  for (let p = 0; p < a.phases; p++) {
    let sum = 0;
    for (let k = 0; k < a.stride; k++) {
      const c = a.coefficients[p * a.stride + k]!;
      if (k < 2 * a.half) sum += c;
      else padding = Math.max(padding, Math.abs(c));
    }
    worstDc = Math.max(worstDc, Math.abs(sum - 1));
  }
  t.ok(worstDc < 1e-5, `every phase has unity gain at DC (worst ${worstDc})`);
  t.equal(padding, 0, 'padding taps are zero');
});

t.test('the WebAssembly SIMD engine agrees with the double-precision scalar engine', async (t) => {
  t.ok(wasmSimdAvailable(), 'Node 20 runs the vector engine');
  for (const [inRate, outRate] of [[44100, 16000], [48000, 16000], [8000, 16000]] as const) {
    const table = polyphaseTable(inRate, outRate, { attenuationDb: 80, transitionWidth: 0.1 });
    const x = noise(inRate, 7);
    const vector = new WasmPolyphase(table).process(x, Number.POSITIVE_INFINITY);
    const scalar = new ScalarPolyphase(table).process(x, Number.POSITIVE_INFINITY);
    t.equal(vector.length, scalar.length, `${inRate} -> ${outRate}: same number of outputs`);
    let worst = 0;
    for (let i = 0; i < scalar.length; i++) worst = Math.max(worst, Math.abs(vector[i]! - scalar[i]!));
    // Float32 accumulation: ~1e-6 of full scale, 120 dB under the signal.
    t.ok(worst < 1e-5, `${inRate} -> ${outRate}: max difference ${worst.toExponential(2)}`);
  }
});

t.test('tones: aliases under -80 dB, passband level within 0.01 dB', async (t) => {
  const rmsMid = (x: Float32Array) => Math.sqrt(energy(x, Math.floor(x.length * 0.1), Math.floor(x.length * 0.9)) / (Math.floor(x.length * 0.9) - Math.floor(x.length * 0.1)));
  for (const rate of [44100, 48000]) {
    const levelDb = (f: number) => {
      const x = new Float32Array(rate / 4);
      for (let i = 0; i < x.length; i++) x[i] = 0.5 * Math.sin((2 * Math.PI * f * i) / rate);
      return 20 * Math.log10(rmsMid(resample(rate, 16000, x)) / rmsMid(x));
    };
    for (const f of [8100, 9000, 12000, 20000]) t.ok(levelDb(f) < -80, `${rate} Hz, tone at ${f} Hz leaks at ${levelDb(f).toFixed(1)} dB`);
    for (const f of [100, 1000, 6000, 7000]) t.ok(Math.abs(levelDb(f)) < 0.01, `${rate} Hz, tone at ${f} Hz kept within ${levelDb(f).toFixed(4)} dB`);
  }
});
