import t from 'tap';
import { join } from 'node:path';
import { loadModel } from '../../../daemon/asr/recognizer.js';
import { SimulatedStream } from '../../../daemon/asr/streaming/simulated-stream.js';
import { readWavFile } from '../../../daemon/asr/wav-file.js';
import { fixturesDir } from '../../helpers/paths.js';

const speech = readWavFile(join(fixturesDir, 'asr', 'speech-en.wav')).samples;

t.test('partials grow with a stable prefix that is never taken back; the final equals an offline decode', async (t) => {
  const model = await loadModel(join(fixturesDir, 'asr', 'models', 'nemo-ctc'));
  t.teardown(() => model.release());
  const stream = new SimulatedStream(model, { endpointSilenceSec: 0 });
  const chunk = 8000; // 0.5 s
  let lastStable = '';
  let partials = 0;
  let sawUnstable = false;
  for (let at = 0; at < speech.length; at += chunk) {
    stream.accept(speech.subarray(at, at + chunk));
    const p = await stream.partial();
    partials++;
    t.ok(p.stable.startsWith(lastStable), `partial ${partials}: stable prefix kept ("${lastStable.slice(0, 20)}…")`);
    t.equal(p.text, [p.stable, p.unstable].filter(Boolean).join(' '));
    if (p.unstable) sawUnstable = true;
    lastStable = p.stable;
  }
  t.ok(partials >= 9, 'one partial per chunk');
  t.ok(sawUnstable, 'recent words are shown as unstable first');
  t.ok(lastStable.length > 0, 'words became stable while audio was still arriving');
  const final = await stream.finish();
  const offline = await model.transcribe(speech);
  t.equal(final.text, offline.text, 'final = offline decode of the same audio');
  t.equal(stream.durationSec, 0, 'finish() resets the stream');
});

t.test('a long window commits stable words and keeps the total text', async (t) => {
  const model = await loadModel(join(fixturesDir, 'asr', 'models', 'nemo-ctc'));
  t.teardown(() => model.release());
  const stream = new SimulatedStream(model, { maxWindowSec: 2, endpointSilenceSec: 0 });
  for (let at = 0; at < speech.length; at += 8000) {
    stream.accept(speech.subarray(at, at + 8000));
    await stream.partial();
  }
  const duration = stream.durationSec;
  const final = await stream.finish();
  t.ok(Math.abs(duration - speech.length / 16000) < 1e-6, 'duration counts committed audio');
  t.ok(final.words.length > 0);
  for (let i = 1; i < final.words.length; i++) t.ok(final.words[i]!.startSec >= final.words[i - 1]!.startSec, 'word times stay on the stream clock');
});

t.test('endpoint after trailing silence', async (t) => {
  // The Zipformer fixture sees digital silence as one constant frame: one token, then repeats
  // that CTC collapses, so no new token follows the speech.
  const model = await loadModel(join(fixturesDir, 'asr', 'models', 'zipformer-ctc'));
  t.teardown(() => model.release());
  const stream = new SimulatedStream(model, { endpointSilenceSec: 1.0 });
  stream.accept(speech.subarray(0, 32000));
  t.equal((await stream.partial()).endpoint, false, 'no endpoint while tokens keep coming');
  stream.accept(new Float32Array(8000));
  t.equal((await stream.partial()).endpoint, false, 'half a second of silence is not an endpoint');
  stream.accept(new Float32Array(16000 * 2));
  t.equal((await stream.partial()).endpoint, true, '2.5 s of silence after speech is');
  const off = new SimulatedStream(model, { endpointSilenceSec: 0 });
  off.accept(speech.subarray(0, 32000));
  off.accept(new Float32Array(16000 * 3));
  t.equal((await off.partial()).endpoint, false, 'endpointSilenceSec 0 disables the rule');
});
