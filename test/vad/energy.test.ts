import t from 'tap';
import { join } from 'node:path';
import { decodeAll } from '../../daemon/audio/decode-file.js';
import { createDetector } from '../../daemon/vad/create-detector.js';
import { EnergyDetector } from '../../daemon/vad/energy.js';
import { LogSink } from '../../daemon/log/logger.js';
import { fixturesDir } from '../helpers/paths.js';

const RATE = 16000;

/** Deterministic white-ish noise (a linear congruential generator; no Math.random in tests). */
function noise(seconds: number, amp: number, seed = 1): Float32Array {
  const out = new Float32Array(seconds * RATE);
  let s = seed;
  for (let i = 0; i < out.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = ((s / 2 ** 32) * 2 - 1) * amp;
  }
  return out;
}

const mean = (x: Float32Array, from: number, to: number) => {
  let sum = 0;
  for (let i = from; i < to; i++) sum += x[i]!;
  return sum / (to - from);
};

t.test('10 ms hops; speech high, the noise in the pauses low', async (t) => {
  const audio = await decodeAll(join(fixturesDir, 'audio', 'speech-silence-speech.wav'));
  const d = new EnergyDetector();
  const p = await d.process(audio);
  const rest = await d.flush();
  t.equal(p.length + rest.length, Math.ceil(audio.length / 160));
  t.ok(mean(p, 10, 45) < 0.1, `noise before speech ${mean(p, 10, 45)}`);
  t.ok(mean(p, 270, 340) < 0.1, `noise in the pause ${mean(p, 270, 340)}`);
  t.ok(mean(p, 60, 230) > 0.6, `inside speech ${mean(p, 60, 230)}`);
});

t.test('the noise floor adapts: a louder steady noise soon stops counting as speech', async (t) => {
  const d = new EnergyDetector();
  const quiet = noise(5, 0.001);
  const loud = noise(10, 0.05, 7);
  const audio = new Float32Array(quiet.length + loud.length);
  audio.set(quiet);
  audio.set(loud, quiet.length);
  const p = await d.process(audio);
  t.ok(mean(p, 502, 540) > 0.9, `right after the step the louder noise looks like speech (${mean(p, 502, 540)})`);
  // Steady for half a second: background from then on, long before the 4 s minimum window.
  t.ok(mean(p, 570, 1450) < 0.05, `then it is background (${mean(p, 570, 1450)})`);
});

t.test('a noise that keeps changing level is caught by the slower minimum window', async (t) => {
  // Noise whose level alternates every 200 ms (never steady): after the 4 s window the
  // floor is its quieter level, and only the louder half (+6 dB, under the 9 dB midpoint) rises.
  const d = new EnergyDetector();
  const parts: Float32Array[] = [noise(5, 0.001)];
  for (let i = 0; i < 50; i++) parts.push(noise(0.2, i % 2 ? 0.02 : 0.01, 100 + i));
  const audio = new Float32Array(parts.reduce((n, x) => n + x.length, 0));
  let o = 0;
  for (const x of parts) {
    audio.set(x, o);
    o += x.length;
  }
  const p = await d.process(audio);
  t.ok(mean(p, 520, 880) > 0.5, `the first seconds look like speech (${mean(p, 520, 880)})`);
  t.ok(mean(p, 1000, 1480) < 0.5, `after the window mostly background (${mean(p, 1000, 1480)})`);
});

t.test('mains hum is not speech; chunking changes nothing', async (t) => {
  const n = 6 * RATE;
  const hum = new Float32Array(n);
  for (let i = 0; i < n; i++) hum[i] = 0.001 * Math.sin((2 * Math.PI * 3000 * i) / RATE);
  // A 50 Hz hum appears 1 s in, 30 dB louder than the floor.
  for (let i = RATE; i < n; i++) hum[i]! += 0.05 * Math.sin((2 * Math.PI * 50 * i) / RATE);
  const whole = await new EnergyDetector().process(hum);
  t.ok(mean(whole, 110, 500) < 0.5, `hum probability ${mean(whole, 110, 500)}`);
  const d = new EnergyDetector();
  const parts: number[] = [];
  for (let i = 0; i < n; i += 1234) parts.push(...(await d.process(hum.subarray(i, i + 1234))));
  t.same(parts, Array.from(whole));
});

t.test('silero falls back to energy with a warning when it cannot load', async (t) => {
  const lines: string[] = [];
  const logger = new LogSink({ level: 'info', format: 'text', write: (l) => lines.push(l) }).logger('vad');
  const energy = await createDetector('energy', logger);
  t.equal(energy.name, 'energy');
  t.equal(lines.length, 0);
  const silero = await createDetector('silero', logger);
  t.equal(silero.name, 'silero', 'loads when the model is installed');
  await silero.close();
  const fallback = await createDetector('silero', logger, { sileroModelPath: '/nonexistent/silero_vad.onnx' });
  t.equal(fallback.name, 'energy');
  t.match(lines.join('\n'), /WARN.*Silero VAD could not load; using the energy\/zero-crossing detector instead.*nonexistent/);
});
