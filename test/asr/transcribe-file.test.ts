import t from 'tap';
import { join } from 'node:path';
import { loadModel } from '../../daemon/asr/recognizer.js';
import { transcribeSamples, windowBounds } from '../../daemon/asr/transcribe-file.js';
import { readWavFile } from '../../daemon/asr/wav-file.js';
import { fixturesDir } from '../helpers/paths.js';

const speech = readWavFile(join(fixturesDir, 'asr', 'speech-en.wav')).samples;

t.test('long audio is cut in the quietest spot near each window end', async (t) => {
  // 3 × (speech + 1 s silence): with 6 s windows every cut must land inside a silence.
  const gap = 16000;
  const unit = speech.length + gap;
  const audio = new Float32Array(unit * 3);
  for (let k = 0; k < 3; k++) audio.set(speech, k * unit);
  const bounds = windowBounds(audio, 16000, 6);
  t.equal(bounds[0], 0);
  t.equal(bounds[bounds.length - 1], audio.length);
  for (const b of bounds.slice(1, -1)) {
    const within = b % unit;
    t.ok(within >= speech.length && within <= unit, `cut at ${(b / 16000).toFixed(2)} s falls in a pause`);
  }
  for (let i = 1; i < bounds.length; i++) t.ok(bounds[i]! - bounds[i - 1]! <= 6 * 16000, 'no window longer than the limit');
});

t.test('short audio is one segment; times are on the file clock', async (t) => {
  const model = await loadModel(join(fixturesDir, 'asr', 'models', 'nemo-ctc'));
  t.teardown(() => model.release());
  const r = await transcribeSamples(model, 'speech-en.wav', speech);
  t.equal(r.segments.length, 1);
  t.equal(r.durationSec, Math.round((speech.length / 16000) * 1000) / 1000);
  t.equal(r.text, (await model.transcribe(speech)).text);
  const empty = await transcribeSamples(model, 'empty.wav', new Float32Array(0));
  t.equal(empty.text, '', 'empty audio gives empty text, not an error');
});
