/**
 * Token parity with sherpa-onnx-node on the default model (models/earshot-en-tiny), on the
 * bundled example recordings and the espeak-ng fixture sentence.
 */
import t from 'tap';
import { join } from 'node:path';
import { loadModel } from '../../daemon/asr/recognizer.js';
import { readWavFile } from '../../daemon/asr/wav-file.js';
import { findSets } from '../../bench/wer/speech-sets.js';
import { fixturesDir, repoRoot } from '../helpers/paths.js';
import { SherpaOffline } from './sherpa-peer.js';

const modelDir = join(repoRoot, 'models', 'earshot-en-tiny');
const files = [...findSets(join(repoRoot, 'examples'))[0]!.utterances.map((u) => u.wav), join(fixturesDir, 'asr', 'speech-en.wav')];

t.test('default model: same tokens and token times as sherpa-onnx on every example', async (t) => {
  const peer = new SherpaOffline(modelDir, 'nemo-ctc', 1);
  const model = await loadModel(modelDir, { providers: ['cpu'], threads: 1 });
  t.teardown(() => model.release());
  let tokens = 0;
  for (const file of files) {
    const samples = readWavFile(file).samples;
    const theirs = peer.transcribe(samples);
    const ours = await model.transcribe(samples);
    tokens += theirs.tokens.length;
    t.same(
      ours.tokens.map((x) => x.token),
      theirs.tokens,
      `${file}: "${ours.text}"`,
    );
    t.same(
      ours.tokens.map((x) => x.startSec),
      theirs.timestamps.map((x) => Math.round(x * 1000) / 1000),
      'token times',
    );
  }
  t.ok(tokens > 50, `compared ${tokens} tokens`);
});
