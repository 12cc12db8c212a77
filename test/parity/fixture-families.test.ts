/**
 * Token parity with sherpa-onnx-node on each supported family's fixture model (random weights,
 * exact I/O and metadata of the family; made by test/fixtures/asr/make-models.py).
 */
import t from 'tap';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BYTE_BPE_TABLE } from '../../daemon/asr/models/byte-bpe.js';
import { loadModel } from '../../daemon/asr/recognizer.js';
import { readWavFile } from '../../daemon/asr/wav-file.js';
import { MODEL_FAMILIES } from '../../daemon/asr/types.js';
import { fixturesDir, tempDir } from '../helpers/paths.js';
import { SherpaOnline, sherpaPeer, transducerTailPaddingSec } from './sherpa-peer.js';

const speech = readWavFile(join(fixturesDir, 'asr', 'speech-en.wav')).samples;
// A second, shorter input: the first 1.7 s, to cover another length and the batch padding.
const clip = speech.slice(0, 27200);

for (const family of MODEL_FAMILIES) {
  t.test(`${family}: same tokens as sherpa-onnx`, async (t) => {
    const dir = join(fixturesDir, 'asr', 'models', family);
    const peer = sherpaPeer(dir, family, 1);
    const model = await loadModel(dir, { providers: ['cpu'] });
    t.teardown(() => model.release());
    t.equal(model.family, family, 'family recognised from metadata and layout');
    for (const [name, audio] of [
      ['speech', speech],
      ['clip', clip],
    ] as const) {
      const theirs = peer.transcribe(audio);
      const ours = await model.transcribe(audio);
      t.ok(theirs.tokens.length > 5, `${name}: the fixture emits tokens (${theirs.tokens.length})`);
      t.same(
        ours.tokens.map((x) => x.token),
        theirs.tokens,
        `${name}: tokens equal`,
      );
      if (family === 'paraformer') {
        // Paraformer exports without CIF peaks carry no token times in either runtime.
        t.same(theirs.timestamps, [], `${name}: no token times from sherpa-onnx either`);
        t.equal(ours.text, theirs.text.trim(), `${name}: same text (FunASR joining of @@ pieces and CJK)`);
      } else {
        t.same(
          ours.tokens.map((x) => x.startSec),
          theirs.timestamps.map((x) => Math.round(x * 1000) / 1000),
          `${name}: token times equal`,
        );
      }
    }
    // One padded batch gives what each segment gives alone.
    const [a, b] = await model.transcribeBatch([speech, clip]);
    t.same(a!.tokens.map((x) => x.token), peer.transcribe(speech).tokens, 'batched long segment');
    t.same(b!.tokens.map((x) => x.token), peer.transcribe(clip).tokens, 'batched short segment');
  });
}

t.test('streaming transducer: modified beam search gives the same tokens as sherpa-onnx', async (t) => {
  const dir = join(fixturesDir, 'asr', 'models', 'zipformer-transducer');
  const peer = new SherpaOnline(dir, 1, 'modified_beam_search');
  const model = await loadModel(dir);
  t.teardown(() => model.release());
  const theirs = peer.transcribe(speech, transducerTailPaddingSec(dir));
  const ours = await model.transcribe(speech, { method: 'beam', beamSize: 4 });
  t.ok(theirs.tokens.length > 10);
  t.same(
    ours.tokens.map((x) => x.token),
    theirs.tokens,
  );
  const greedy = await model.transcribe(speech);
  t.not(greedy.text, ours.text, 'beam search is a different search than greedy on this model');
});

t.test('byte-level BPE vocabulary (icefall bbpe): same tokens and text as sherpa-onnx', async (t) => {
  // The Zipformer CTC fixture with a vocabulary whose pieces spell UTF-8 bytes (Chinese, accents).
  const dir = tempDir();
  copyFileSync(join(fixturesDir, 'asr', 'models', 'zipformer-ctc', 'model.onnx'), join(dir, 'model.onnx'));
  const byteChar = new Map([...BYTE_BPE_TABLE].map(([ch, b]) => [b, ch]));
  const spell = (s: string) => [...Buffer.from(s, 'utf8')].map((b) => byteChar.get(b)!).join('');
  const pieces = ['▁' + spell('你'), spell('好'), '▁' + spell('世界'), spell('界'), '▁the', 'ing', '▁' + spell('é'), spell('ü'), 'Ʀ', '▁c', 'at', spell('中'), '▁' + spell('国'), 's', 'ed', '▁a', 'o', 'n', 't', 'h', '▁', '▁d', 'og', 'x'];
  writeFileSync(join(dir, 'tokens.txt'), ['<blk>', '<sos/eos>', '<unk>', ...pieces].map((s, i) => `${s} ${i}`).join('\n') + '\n');
  const model = await loadModel(dir);
  t.teardown(() => model.release());
  const ours = await model.transcribe(speech);
  const theirs = sherpaPeer(dir, 'zipformer-ctc').transcribe(speech);
  t.match(theirs.text, /[你国界中]/, 'the decode spells multi-byte characters');
  t.same(
    ours.tokens.map((x) => x.token),
    theirs.tokens,
  );
  t.equal(ours.text, theirs.text, 'bytes joined back into the same UTF-8 text');
});
