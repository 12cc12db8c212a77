import t from 'tap';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { detectModel } from '../../../daemon/asr/models/detect.js';
import { readOnnxMetadata } from '../../../daemon/asr/models/onnx-metadata.js';
import { sha256File } from '../../../daemon/asr/models/card.js';
import { loadModel } from '../../../daemon/asr/recognizer.js';
import { TokenTable } from '../../../daemon/asr/models/tokens.js';
import { fixturesDir, tempDir } from '../../helpers/paths.js';

const models = join(fixturesDir, 'asr', 'models');

function copyModel(family: string): string {
  const dir = join(tempDir(), family);
  mkdirSync(dir);
  for (const f of ['model.onnx', 'tokens.txt']) copyFileSync(join(models, family, f), join(dir, f));
  return dir;
}

t.test('metadata is read from the ONNX file', async (t) => {
  const meta = readOnnxMetadata(join(models, 'nemo-ctc', 'model.onnx'));
  t.equal(meta.get('model_type'), 'EncDecCTCModelBPE');
  t.equal(meta.get('subsampling_factor'), '4');
  t.equal(meta.get('normalize_type'), 'per_feature');
  const sv = readOnnxMetadata(join(models, 'sense-voice', 'model.onnx'));
  t.equal(sv.get('neg_mean')!.split(',').length, 560);
});

t.test('each fixture is recognised as its family', async (t) => {
  for (const family of ['nemo-ctc', 'zipformer-ctc', 'sense-voice', 'paraformer', 'zipformer-transducer']) t.equal(detectModel(join(models, family)).family, family);
});

t.test('broken and unknown models fail naming the file and the problem', async (t) => {
  const dir = copyModel('nemo-ctc');
  writeFileSync(join(dir, 'model.onnx'), readFileSync(join(models, 'nemo-ctc', 'model.onnx')).subarray(0, 5000));
  t.throws(() => detectModel(dir), /model\.onnx: truncated ONNX file/);

  const noTokens = copyModel('nemo-ctc');
  writeFileSync(join(noTokens, 'tokens.txt'), '');
  await t.rejects(loadModel(noTokens), /tokens\.txt: no tokens/);

  const wrongVocab = copyModel('nemo-ctc');
  writeFileSync(join(wrongVocab, 'tokens.txt'), 'a 0\nb 1\n<blk> 2\n');
  await t.rejects(loadModel(wrongVocab), /vocab_size 26 but .*tokens\.txt has 3 tokens/);

  // A model with no family metadata (the Silero VAD) is refused with what was found.
  const vad = join(tempDir(), 'vad');
  mkdirSync(vad);
  copyFileSync(join(fixturesDir, '..', '..', 'node_modules', '@ricky0123', 'vad-node', 'dist', 'silero_vad.onnx'), join(vad, 'model.onnx'));
  writeFileSync(join(vad, 'tokens.txt'), 'a 0\n');
  t.throws(() => detectModel(vad), /model\.onnx: unknown model family/);

  t.throws(() => detectModel(join(tempDir(), 'nope')), /model directory not found/);
  const empty = tempDir();
  t.throws(() => detectModel(empty), /no model\.onnx/);
  const transducer = tempDir();
  writeFileSync(join(transducer, 'encoder.onnx'), 'x');
  t.throws(() => detectModel(transducer), /transducer/);
});

t.test('model.json is checked: family, files, sha256', async (t) => {
  const dir = copyModel('zipformer-ctc');
  const card = {
    name: 'tiny-zipformer',
    family: 'zipformer-ctc',
    languages: ['en'],
    sampleRate: 16000,
    files: [
      { path: 'model.onnx', sha256: await sha256File(join(dir, 'model.onnx')) },
      { path: 'tokens.txt', sha256: await sha256File(join(dir, 'tokens.txt')) },
    ],
    licence: 'Apache-2.0',
    source: 'file://test/fixtures/asr/models/zipformer-ctc',
  };
  writeFileSync(join(dir, 'model.json'), JSON.stringify(card));
  const model = await loadModel(dir);
  t.equal(model.id, 'tiny-zipformer', 'the card names the model');
  t.same(model.languages, ['en'], 'and its languages');
  await model.release();

  writeFileSync(join(dir, 'tokens.txt'), readFileSync(join(dir, 'tokens.txt'), 'utf8') + '\n');
  await t.rejects(loadModel(dir), /tokens\.txt: sha256 .* does not match model\.json/);

  writeFileSync(join(dir, 'model.json'), JSON.stringify({ ...card, family: 'nemo-ctc' }));
  t.throws(() => detectModel(dir), /family 'nemo-ctc' but .*metadata says 'zipformer-ctc'/);
  writeFileSync(join(dir, 'model.json'), JSON.stringify({ ...card, family: 'whisper' }));
  t.throws(() => detectModel(dir), /"family" is 'whisper'; supported families/);
  writeFileSync(join(dir, 'model.json'), '{ not json');
  t.throws(() => detectModel(dir), /model\.json: not valid JSON/);
});

t.test('tokens.txt parsing and display follow sherpa-onnx', async (t) => {
  const table = TokenTable.parse('<blk> 0\n\u2581he 1\nllo 2\n 3\n<0x00> 4\n', 'tokens.txt');
  t.equal(table.blankId, 0);
  t.equal(table.display(1), ' he', 'word-start mark becomes a space');
  t.equal(table.text([1, 2]), 'hello', 'one leading space dropped');
  t.throws(() => TokenTable.parse('a 0\na 1\n', 'x/tokens.txt'), /x\/tokens\.txt:2: duplicate symbol "a"/);
  t.throws(() => TokenTable.parse('a b c\n', 'tokens.txt'), /tokens\.txt:1: expected/);
  t.throws(() => table.display(99), /token id 99 is not in tokens\.txt/);
});
