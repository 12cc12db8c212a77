/**
 * Hotword biasing with the real default model on real audio: a surname the character model has
 * never seen ("we met pellegrino at the station", espeak-ng) is misspelt by plain decoding and
 * recognised when it is listed; listing it does not change audio where it is not spoken.
 */
import t from 'tap';
import { join } from 'node:path';
import { loadModel } from '../../daemon/asr/recognizer.js';
import { readWavFile } from '../../daemon/asr/wav-file.js';
import { findSets } from '../../bench/wer/speech-sets.js';
import { errorRates } from '../../bench/wer/error-rate.js';
import { fixturesDir, repoRoot } from '../helpers/paths.js';

const modelDir = join(repoRoot, 'models', 'earshot-en-tiny');
const sentence = readWavFile(join(fixturesDir, 'asr', 'hotword-pellegrino.wav')).samples;
// sherpa-onnx's default hotword score.
const hotwords = [{ phrase: 'pellegrino', boost: 1.5 }];

t.test('a name the plain decode misses is recognised with biasing on', async (t) => {
  const model = await loadModel(modelDir);
  t.teardown(() => model.release());
  const plain = await model.transcribe(sentence, { method: 'beam' });
  t.notMatch(plain.text, /\bpellegrino\b/, `plain decode: "${plain.text}"`);
  const biased = await model.transcribe(sentence, { hotwords });
  t.match(biased.text, /\bpellegrino\b/, `biased decode: "${biased.text}"`);
  t.match(biased.text, /\bstation/, 'the rest of the sentence is still there');
  t.ok(biased.words.some((w) => w.word === 'pellegrino' && w.endSec > w.startSec), 'the name has word times');
});

t.test('listed phrases are not forced where they are not spoken', async (t) => {
  const model = await loadModel(modelDir);
  t.teardown(() => model.release());
  for (const u of findSets(join(repoRoot, 'examples'))[0]!.utterances) {
    const audio = readWavFile(u.wav).samples;
    const plain = await model.transcribe(audio, { method: 'beam' });
    const biased = await model.transcribe(audio, { hotwords: [...hotwords, { phrase: 'zorblatt', boost: 1.5 }] });
    t.notMatch(biased.text, /pellegrino|zorblatt/, `${u.id}: "${biased.text}" has no listed name`);
    // Partial matches may reorder the beam a little, never rewrite the utterance.
    const { cer } = errorRates([{ reference: plain.text, hypothesis: biased.text }]);
    t.ok(cer <= 0.1, `${u.id}: ${(cer * 100).toFixed(1)}% of characters differ from plain "${plain.text}"`);
  }
});
