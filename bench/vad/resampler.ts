/**
 * Resampler benchmark against sox: for each input rate, tones across the stopband (which
 * must vanish: anything left is alias) and the passband (which must keep its level), run
 * through our resampler and through `sox rate -v`; prints the worst alias level, the
 * passband error and the time per audio minute, side by side.
 *
 *   node dist/bench/vad/resampler.js
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeAll } from '../../daemon/audio/decode-file.js';
import { Resampler } from '../../daemon/audio/resampler.js';
import { encodeFloatWav } from '../../daemon/audio/wav-writer.js';

const OUT = 16000;

function tone(rate: number, f: number, seconds: number): Float32Array {
  const x = new Float32Array(Math.round(rate * seconds));
  for (let i = 0; i < x.length; i++) x[i] = 0.5 * Math.sin((2 * Math.PI * f * i) / rate);
  return x;
}

function rms(x: Float32Array): number {
  // Skip the edges, where the filters start and stop.
  const from = Math.floor(x.length * 0.1);
  const to = Math.floor(x.length * 0.9);
  let e = 0;
  for (let i = from; i < to; i++) e += x[i]! * x[i]!;
  return Math.sqrt(e / (to - from));
}

function ours(rate: number, x: Float32Array): Float32Array {
  const r = new Resampler(rate, OUT);
  const a = r.push(x);
  const b = r.flush();
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Float samples as a WAV, for sox to read. */
function wav(rate: number, x: Float32Array): Buffer {
  return encodeFloatWav(x, rate);
}

async function viaSox(dir: string, rate: number, x: Float32Array): Promise<{ y: Float32Array; ms: number }> {
  const input = join(dir, 'in.wav');
  const output = join(dir, 'out.wav');
  writeFileSync(input, wav(rate, x));
  const t0 = performance.now();
  const run = spawnSync('sox', [input, '-e', 'floating-point', '-b', '32', output, 'rate', '-v', String(OUT)]);
  const ms = performance.now() - t0;
  if (run.status !== 0) throw new Error(`sox failed (${run.error?.message ?? run.stderr?.toString()}); install it: apt-get install sox`);
  return { y: await decodeAll(output, { sampleRate: OUT }), ms };
}

const db = (x: number) => 20 * Math.log10(Math.max(x, 1e-12));
/** A level, or "none" when nothing measurable came out (sox's output is exactly zero). */
const level = (d: number) => (d < -200 ? 'none' : d.toFixed(1)).padStart(6);

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'earshot-bench-resampler-'));
  try {
    console.log('rate     worst alias (ours / sox)   passband error (ours / sox)   ms per audio minute (ours / sox)');
    for (const rate of [22050, 32000, 44100, 48000]) {
      const nyq = rate / 2;
      let aliasOurs = -Infinity;
      let aliasSox = -Infinity;
      let passOurs = 0;
      let passSox = 0;
      for (let f = 8100; f < nyq - 100; f += 700) {
        const x = tone(rate, f, 0.5);
        aliasOurs = Math.max(aliasOurs, db(rms(ours(rate, x)) / rms(x)));
        aliasSox = Math.max(aliasSox, db(rms((await viaSox(dir, rate, x)).y) / rms(x)));
      }
      for (const f of [100, 1000, 3000, 6000, 7000]) {
        const x = tone(rate, f, 0.5);
        passOurs = Math.max(passOurs, Math.abs(db(rms(ours(rate, x)) / rms(x))));
        passSox = Math.max(passSox, Math.abs(db(rms((await viaSox(dir, rate, x)).y) / rms(x))));
      }
      const minute = tone(rate, 440, 60);
      const t0 = performance.now();
      ours(rate, minute);
      const oursMs = performance.now() - t0;
      const soxMs = (await viaSox(dir, rate, minute)).ms;
      console.log(
         `${String(rate).padEnd(8)} ${level(aliasOurs)} / ${level(aliasSox)} dB                  ${passOurs.toFixed(3)} / ${passSox.toFixed(3)} dB             ${oursMs.toFixed(0).padStart(5)} / ${soxMs.toFixed(0)} (sox incl. process start and file I/O)`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
