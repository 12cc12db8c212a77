import t from 'tap';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseModelCard, verifyModelFiles } from '../../daemon/asr/models/card.js';
import { detectModel } from '../../daemon/asr/models/detect.js';
import { loadModel } from '../../daemon/asr/recognizer.js';
import { readWavFile } from '../../daemon/asr/wav-file.js';
import { errorRates } from '../../bench/wer/error-rate.js';
import { findSets } from '../../bench/wer/speech-sets.js';
import Transcribe, { DEFAULT_MODEL_DIR, type TranscribeCommandResult } from '../../daemon/cli/commands/transcribe.js';
import { SherpaOffline } from '../parity/sherpa-peer.js';
import { repoRoot } from '../helpers/paths.js';

const modelDir = join(repoRoot, 'models', 'earshot-en-tiny');
const examples = findSets(join(repoRoot, 'examples'))[0]!;

t.test('the shipped model has a valid card whose files match, within the size budget', async (t) => {
  const card = parseModelCard(JSON.parse(readFileSync(join(modelDir, 'model.json'), 'utf8')), 'model.json');
  t.equal(card.name, 'earshot-en-tiny');
  t.equal(card.family, 'nemo-ctc');
  t.equal(card.sampleRate, 16000);
  await verifyModelFiles(modelDir, card);
  t.ok(statSync(join(modelDir, 'model.onnx')).size <= 20 * 1024 * 1024, 'model.onnx <= 20 MB');
  const layout = detectModel(modelDir);
  t.equal(layout.metadata.get('vocab_size'), '29');
  t.equal(layout.metadata.get('subsampling_factor'), '4');
  t.equal(layout.metadata.get('normalize_type'), 'per_feature');
  const tokens = readFileSync(join(modelDir, 'tokens.txt'), 'utf8').trim().split('\n');
  t.equal(tokens.at(-1), '<blk> 28', 'blank is the last id');
  t.equal(tokens[0], '▁ 0');
  t.equal(DEFAULT_MODEL_DIR, 'models/earshot-en-tiny', 'it is what `earshot transcribe` uses without --model');
});

t.test('earshot transcribe (no --model) gets the bundled samples right, WER <= 15%', async (t) => {
  const files = examples.utterances.map((u) => u.wav);
  const out = process.stdout.write.bind(process.stdout);
  let stdout = '';
  process.stdout.write = ((c: string | Uint8Array) => ((stdout += c.toString()), true)) as typeof process.stdout.write;
  let result: TranscribeCommandResult;
  try {
    result = await Transcribe.run([...files, '--json'], repoRoot);
  } finally {
    process.stdout.write = out;
  }
  t.equal(JSON.parse(stdout).model.id, 'earshot-en-tiny');
  const pairs = examples.utterances.map((u, i) => ({ reference: u.reference, hypothesis: result.files[i]!.text }));
  const { wer } = errorRates(pairs);
  t.ok(wer <= 0.15, `WER ${(wer * 100).toFixed(1)}% on ${pairs.length} samples: ${JSON.stringify(pairs)}`);
});

t.test('sherpa-onnx-node loads the shipped model and gives the same text as Earshot', async (t) => {
  const sherpa = new SherpaOffline(modelDir, 'nemo-ctc', 1);
  const model = await loadModel(modelDir, { providers: ['cpu'], threads: 1 });
  t.teardown(() => model.release());
  for (const u of examples.utterances) {
    const samples = readWavFile(u.wav).samples;
    const ours = (await model.transcribe(samples)).text;
    const peer = sherpa.transcribe(samples).text.trim();
    t.equal(ours, peer, `${u.id}: "${ours}"`);
  }
});
