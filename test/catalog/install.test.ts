import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, truncateSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../../daemon/asr/recognizer.js';
import { MODEL_FAMILIES } from '../../daemon/asr/types.js';
import { loadCatalog } from '../../daemon/catalog/catalog.js';
import { installModel } from '../../daemon/catalog/install.js';
import { readWavFile } from '../../daemon/asr/wav-file.js';
import { distDir, repoRoot, tempDir } from '../helpers/paths.js';
import { callAt, syncedAfterOpen, traceFileCalls } from '../helpers/strace.js';
import { makePack, nemoFixture, sha256, writeCatalog } from './packs.js';

const emptyCatalog = { version: 1, packs: [] };

function entries(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

t.test('a valid local pack installs with a card and the model loads', async (t) => {
  const archive = makePack('tiny-nemo');
  const modelsDir = join(tempDir(), 'models');
  const result = await installModel({ source: archive, modelsDir, catalog: emptyCatalog });
  t.equal(result.name, 'tiny-nemo');
  t.equal(result.family, 'nemo-ctc');
  t.equal(result.dir, join(modelsDir, 'tiny-nemo'));
  t.same(entries(modelsDir), ['tiny-nemo'], 'no staging directory left behind');
  const card = JSON.parse(readFileSync(join(result.dir, 'model.json'), 'utf8'));
  t.same(card.files, [
    { path: 'model.onnx', sha256: sha256(join(nemoFixture, 'model.onnx')) },
    { path: 'tokens.txt', sha256: sha256(join(nemoFixture, 'tokens.txt')) },
  ]);
  t.equal(card.archiveSha256, sha256(archive));
  t.equal(card.source, archive);
  const model = await loadModel(result.dir);
  t.equal(model.id, 'tiny-nemo', 'the engine reads the card');
  await model.release();
});

t.test('a corrupt archive is rejected and nothing is installed', async (t) => {
  const archive = makePack('tiny-nemo');
  truncateSync(archive, Math.floor(statSync(archive).size / 2));
  const modelsDir = join(tempDir(), 'models');
  await t.rejects(installModel({ source: archive, modelsDir, catalog: emptyCatalog }), /tiny-nemo\.tar\.bz2: .*; the file is corrupt or incomplete, download it again/);
  t.same(entries(modelsDir), [], 'models dir is empty');
  const junk = join(tempDir(), 'junk.tar.bz2');
  writeFileSync(junk, 'this is not an archive');
  await t.rejects(installModel({ source: junk, modelsDir, catalog: emptyCatalog }), /junk\.tar\.bz2: the archive is empty or is not a tar archive; the file is corrupt or incomplete/);
  t.same(entries(modelsDir), []);
});

t.test('an archive whose sha256 differs from its catalog entry is rejected before unpacking', async (t) => {
  const dir = tempDir();
  const archive = makePack('sherpa-onnx-nemo-ctc-en-conformer-small', dir);
  const modelsDir = join(dir, 'models');
  // the real catalog lists this archive name with the upstream digest: ours cannot match
  await t.rejects(
    installModel({ source: archive, modelsDir, catalog: loadCatalog() }),
    /sha256 [0-9a-f]{64} does not match the catalog's 83dcb462[0-9a-f]+ for 'sherpa-onnx-nemo-ctc-en-conformer-small'; the archive is corrupt, incomplete or a different release/,
  );
  t.same(entries(modelsDir), []);
});

t.test('an archive without a model, or with unsafe entries, leaves nothing behind', async (t) => {
  const dir = tempDir();
  mkdirSync(join(dir, 'src', 'docs-only'), { recursive: true });
  writeFileSync(join(dir, 'src', 'docs-only', 'README.md'), 'no model here');
  const noModel = join(dir, 'docs-only.tar.bz2');
  execFileSync('tar', ['-cjf', noModel, '-C', join(dir, 'src'), 'docs-only']);
  const modelsDir = join(dir, 'models');
  await t.rejects(installModel({ source: noModel, modelsDir, catalog: emptyCatalog }), /no model\.onnx \/ model\.int8\.onnx \/ model\.fp16\.onnx found/);
  t.same(entries(modelsDir), []);

  writeFileSync(join(dir, 'evil.txt'), 'x');
  const escaping = join(dir, 'escaping.tar');
  execFileSync('tar', ['-cf', escaping, '-C', dir, '--transform', 's,^,../,', 'evil.txt']);
  await t.rejects(installModel({ source: escaping, modelsDir, catalog: emptyCatalog }), /entry '\.\.\/evil\.txt' would be written outside the model directory/);
  t.same(entries(modelsDir), []);
});

t.test('an installed model is kept unless --force, which replaces it', async (t) => {
  const archive = makePack('tiny-nemo');
  const modelsDir = join(tempDir(), 'models');
  await installModel({ source: archive, modelsDir, catalog: emptyCatalog });
  await t.rejects(installModel({ source: archive, modelsDir, catalog: emptyCatalog }), /'tiny-nemo' is already installed; pass --force/);
  const again = await installModel({ source: archive, modelsDir, catalog: emptyCatalog, force: true, name: 'tiny-nemo' });
  t.ok(again.replaced);
  t.same(entries(modelsDir), ['tiny-nemo']);
});

t.test('catalog packs of families the engine cannot run are refused with the reason', async (t) => {
  const dir = tempDir();
  const archive = makePack('whisp', dir);
  const catalog = loadCatalog(writeCatalog(dir, { name: 'whisp', family: 'whisper', url: 'http://127.0.0.1:9/whisp.tar.bz2', archive: 'whisp.tar.bz2', sha256: sha256(archive) }));
  await t.rejects(installModel({ source: archive, modelsDir: join(dir, 'models'), catalog }), { message: `'whisp' is a whisper pack; this engine runs ${MODEL_FAMILIES.join(', ')} models only, so it is listed but cannot be installed yet` });
  await t.rejects(installModel({ source: 'no-such-pack', modelsDir: join(dir, 'models'), catalog }), /'no-such-pack' is not in the model catalog \(known: whisp\)/);
});

t.test('the bundled model packed as an archive installs offline and transcribes a sample', async (t) => {
  const dir = tempDir();
  const archive = join(dir, 'earshot-en-tiny-copy.tar.bz2');
  execFileSync('tar', ['-cjf', archive, '-C', join(repoRoot, 'models'), '--transform', 's,^earshot-en-tiny,earshot-en-tiny-copy,', 'earshot-en-tiny']);
  const result = await installModel({ source: archive, modelsDir: join(dir, 'models'), catalog: loadCatalog() });
  t.equal(result.family, 'nemo-ctc');
  const model = await loadModel(result.dir);
  t.teardown(() => model.release());
  const text = (await model.transcribe(readWavFile(join(repoRoot, 'examples', 'page.wav')).samples)).text;
  t.equal(text, 'turn to page forty two');
});

t.test('an installed model is on disk before it takes its name: each file and folder fsynced, then the rename, then the models folder', async (t) => {
  const archive = makePack('tiny-nemo');
  const modelsDir = join(tempDir('earshot-install-sync-'), 'models');
  const script = `
    const { installModel } = await import(${JSON.stringify(join(distDir, 'daemon', 'catalog', 'install.js'))});
    await installModel({ source: ${JSON.stringify(archive)}, modelsDir: ${JSON.stringify(modelsDir)}, catalog: { version: 1, packs: [] } });`;
  const run = traceFileCalls([process.execPath, '--input-type=module', '-e', script]);
  t.equal(run.status, 0, run.stderr);
  const dest = join(modelsDir, 'tiny-nemo');
  const renamed = callAt(run.calls, 0, (l) => /rename(at2?)?\(/.test(l) && l.includes(`"${dest}"`));
  t.not(renamed, -1, 'the model is renamed into place');
  const root = /rename(?:at2?)?\((?:AT_FDCWD, )?"([^"]+)"/.exec(run.calls[renamed] ?? '')?.[1] ?? '';
  for (const f of ['model.onnx', 'tokens.txt', 'README.md', 'model.json', '']) {
    // The last open of each before the rename is the sync's (extracting, hashing and loading open them too).
    const opens = run.calls.flatMap((l, i) => (i < renamed && l.includes(`openat(AT_FDCWD, "${join(root, f)}"`) ? [i] : []));
    t.ok(opens.some((at) => syncedAfterOpen(run.calls, at, join(root, f)) !== -1 && syncedAfterOpen(run.calls, at, join(root, f)) < renamed), `${f || 'its folder'} is fsynced before the rename`);
  }
  t.not(syncedAfterOpen(run.calls, renamed, modelsDir), -1, 'the models folder is fsynced after it');
});
