/**
 * Resampler benchmark against sox: for each input rate, tones across the stopband (which
 * must vanish: anything left is alias, or image when upsampling) and the passband (which
 * must keep its level), run through our resampler and through `sox rate -v`; prints the
 * worst alias level, the passband error and the CPU time per audio minute, side by side.
 *
 * Two sox times, both CPU (user + system) of the sox process, measured by the shell's
 * `times`: on a 1-minute file, which includes sox's process start and WAV file I/O, and
 * on a 5-minute file divided by 5, where that fixed overhead is small. Ours is the CPU
 * time of push + flush over one audio minute in this process, median of 3 streams (the
 * shared filter table is already built by then; its one-off build time is printed too).
 *
 *   node dist/bench/vad/resampler.js
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeAll } from '../../daemon/audio/decode-file.js';
import { Resampler } from '../../daemon/audio/resampler.js';
import { polyphaseTable } from '../../daemon/audio/resampler-table.js';
import { encodeFloatWav } from '../../daemon/audio/wav-writer.js';

const OUT = 16000;
const LONG_MINUTES = 5;

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

/** Amplitude of the component at `f` Hz, by correlation with a complex tone (edges skipped). */
function amplitudeAt(x: Float32Array, rate: number, f: number): number {
  const from = Math.floor(x.length * 0.1);
  const to = Math.floor(x.length * 0.9);
  let re = 0;
  let im = 0;
  for (let i = from; i < to; i++) {
    re += x[i]! * Math.cos((2 * Math.PI * f * i) / rate);
    im += x[i]! * Math.sin((2 * Math.PI * f * i) / rate);
  }
  return (2 * Math.hypot(re, im)) / (to - from);
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

function cpuMs(run: () => void): number {
  const t0 = process.cpuUsage();
  run();
  const used = process.cpuUsage(t0);
  return (used.user + used.system) / 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Runs sox under bash and returns its CPU time from `times` (children's user + system). */
function soxCpuMs(input: string, output: string): number {
  const script = 'sox "$@" || exit $?; times';
  const run = spawnSync('bash', ['-c', script, 'bash', input, '-e', 'floating-point', '-b', '32', output, 'rate', '-v', String(OUT)]);
  if (run.status !== 0) throw new Error(`sox failed (${run.error?.message ?? run.stderr?.toString()}); install it: apt-get install sox`);
  const children = run.stdout.toString().trim().split('\n').at(-1) ?? '';
  const parts = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60_000 + Number(m[2]) * 1000);
  if (parts.length !== 2) throw new Error(`cannot read sox's CPU time from bash 'times': ${children}`);
  return parts[0]! + parts[1]!;
}

async function viaSox(dir: string, rate: number, x: Float32Array): Promise<Float32Array> {
  const input = join(dir, 'in.wav');
  const output = join(dir, 'out.wav');
  writeFileSync(input, encodeFloatWav(x, rate));
  soxCpuMs(input, output);
  return decodeAll(output, { sampleRate: OUT });
}

function soxMsPerMinute(dir: string, rate: number, minutes: number): number {
  const input = join(dir, `long-${minutes}.wav`);
  const output = join(dir, `long-${minutes}-out.wav`);
  writeFileSync(input, encodeFloatWav(tone(rate, 440, 60 * minutes), rate));
  const ms = median([0, 1, 2].map(() => soxCpuMs(input, output)));
  rmSync(input);
  rmSync(output);
  return ms / minutes;
}

const db = (x: number) => 20 * Math.log10(Math.max(x, 1e-12));
/** A level, or "none" when nothing measurable came out (sox's output is exactly zero). */
const level = (d: number) => (d < -200 ? 'none' : d.toFixed(1)).padStart(6);

/** Worst alias (downsampling: tones above the output Nyquist) or image (upsampling: the mirror of passband tones). */
async function worstLeak(dir: string, rate: number): Promise<{ ours: number; sox: number }> {
  let o = -Infinity;
  let s = -Infinity;
  if (rate > OUT) {
    for (let f = OUT / 2 + 100; f < rate / 2 - 100; f += 700) {
      const x = tone(rate, f, 0.5);
      o = Math.max(o, db(rms(ours(rate, x)) / rms(x)));
      s = Math.max(s, db(rms(await viaSox(dir, rate, x)) / rms(x)));
    }
  } else {
    for (let f = 300; f < rate / 2 - 300; f += 700) {
      const x = tone(rate, f, 0.5);
      o = Math.max(o, db(amplitudeAt(ours(rate, x), OUT, rate - f) / 0.5));
      s = Math.max(s, db(amplitudeAt(await viaSox(dir, rate, x), OUT, rate - f) / 0.5));
    }
  }
  return { ours: o, sox: s };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'earshot-bench-resampler-'));
  try {
    console.log(`-> ${OUT} Hz. CPU ms per audio minute; sox(1 min) includes process start and file I/O, sox(${LONG_MINUTES} min) is per minute of a ${LONG_MINUTES}-minute file`);
    console.log('rate    worst alias/image ours / sox   passband error ours / sox   table build   ours   sox(1 min)  sox(5 min)   ours/sox(1 min)  ours/sox(5 min)');
    for (const rate of [8000, 22050, 32000, 44100, 48000]) {
      const tableMs = cpuMs(() => polyphaseTable(rate, OUT, { attenuationDb: 80, transitionWidth: 0.1 }));
      const leak = await worstLeak(dir, rate);
      let passOurs = 0;
      let passSox = 0;
      for (const f of [100, 1000, 3000, 6000, 7000].filter((f) => f < Math.min(rate, OUT) * 0.45)) {
        const x = tone(rate, f, 0.5);
        passOurs = Math.max(passOurs, Math.abs(db(rms(ours(rate, x)) / rms(x))));
        passSox = Math.max(passSox, Math.abs(db(rms(await viaSox(dir, rate, x)) / rms(x))));
      }
      const minute = tone(rate, 440, 60);
      const oursMs = median([0, 1, 2].map(() => cpuMs(() => ours(rate, minute))));
      const sox1 = soxMsPerMinute(dir, rate, 1);
      const sox5 = soxMsPerMinute(dir, rate, LONG_MINUTES);
      console.log(
        [
          String(rate).padEnd(7),
          `${level(leak.ours)} / ${level(leak.sox)} dB          `,
          `${passOurs.toFixed(3)} / ${passSox.toFixed(3)} dB       `,
          `${tableMs.toFixed(1).padStart(6)} ms `,
          oursMs.toFixed(0).padStart(6),
          sox1.toFixed(0).padStart(10),
          sox5.toFixed(0).padStart(11),
          (oursMs / sox1).toFixed(2).padStart(16),
          (oursMs / sox5).toFixed(2).padStart(16),
        ].join(' '),
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
