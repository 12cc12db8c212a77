import t from 'tap';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../helpers/daemon-process.js';
import { fixturesDir, tempDir } from '../helpers/paths.js';
import { startSpoolDaemon } from '../helpers/spool-daemon.js';
import { sha256File } from '../../daemon/asr/models/card.js';

/**
 * A model that tags no language (all but SenseVoice) is in the language its model.json card
 * names: a Chinese pack's transcripts say `zh` and go through the built-in itn-zh, not
 * itn-en. A real daemon on a model whose card says Chinese (the fixture CTC model; what it
 * hears does not matter here), with the built-in plugins, and an MQTT subscriber.
 */
t.test("transcripts of a model that tags no language are in its card's language, and the plugins for it run", async (t) => {
  const root = tempDir('earshot-model-language-');
  const modelDir = join(root, 'model');
  mkdirSync(modelDir);
  for (const f of ['model.onnx', 'tokens.txt']) copyFileSync(join(fixturesDir, 'asr', 'models', 'nemo-ctc', f), join(modelDir, f));
  const files = await Promise.all(['model.onnx', 'tokens.txt'].map(async (path) => ({ path, sha256: await sha256File(join(modelDir, path)) })));
  writeFileSync(join(modelDir, 'model.json'), JSON.stringify({ name: 'fixture-zh', family: 'nemo-ctc', languages: ['zh'], sampleRate: 16000, files, licence: 'Apache-2.0', source: 'test fixture' }));
  const { transcripts, drop, stop } = await startSpoolDaemon(t, root, 'language-e2e', { model: { dir: modelDir, providers: ['cpu'] } });
  drop('call.wav');
  await waitFor(() => transcripts.length >= 2, 25_000, 'two transcripts');
  for (const tr of transcripts) {
    t.equal(tr.modelId, 'fixture-zh');
    t.equal(tr.language, 'zh', 'the language the card names');
    t.ok(tr.plugins.includes('@earshot/plugin-itn-zh'), `itn-zh ran: ${tr.plugins.join(', ')}`);
    t.notOk(tr.plugins.includes('@earshot/plugin-itn-en'), 'itn-en did not');
  }

  await stop();
});
