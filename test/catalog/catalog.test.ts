import t from 'tap';
import { DEFAULT_CATALOG_PATH, findPack, findPackByArchive, isRunnableFamily, loadCatalog, parseCatalog } from '../../daemon/catalog/catalog.js';

t.test('the bundled catalog parses and every entry is consistent', async (t) => {
  const catalog = loadCatalog(DEFAULT_CATALOG_PATH);
  t.ok(catalog.packs.length >= 5, 'lists the common k2-fsa/FunASR packs');
  for (const p of catalog.packs) {
    t.equal(p.url.split('/').pop(), p.archive, `${p.name}: archive is the URL's file name`);
    t.equal(p.archive.replace(/\.tar\.bz2$/, ''), p.name, `${p.name}: name is the archive's directory`);
  }
  const families = new Set(catalog.packs.map((p) => p.family));
  for (const f of ['nemo-ctc', 'sense-voice', 'paraformer', 'zipformer-transducer']) t.ok(families.has(f), `has a ${f} pack`);
  t.ok(findPack(catalog, 'sherpa-onnx-nemo-ctc-en-conformer-small'));
  t.equal(findPackByArchive(catalog, 'sherpa-onnx-nemo-ctc-en-conformer-small.tar.bz2')?.family, 'nemo-ctc');
  t.ok(isRunnableFamily('nemo-ctc'));
  t.notOk(isRunnableFamily('whisper'), 'a family the engine does not know is not runnable');
});

t.test('bad catalogs are rejected naming the file, the entry and the fix', async (t) => {
  const good = { name: 'a', family: 'nemo-ctc', languages: ['en'], sizeBytes: 1, url: 'https://x/a.tar.bz2', archive: 'a.tar.bz2', sha256: 'a'.repeat(64), licence: 'MIT', description: 'd' };
  t.throws(() => parseCatalog({ version: 2, packs: [] }, 'c.json'), /c\.json: "version" is 2; this earshot reads catalog version 1/);
  t.throws(() => parseCatalog({ version: 1, packs: [{ ...good, sha256: 'XYZ' }] }, 'c.json'), /c\.json: packs\[0\]\.sha256 must be 64 lowercase hex digits/);
  t.throws(() => parseCatalog({ version: 1, packs: [{ ...good, url: 'ftp://x' }] }, 'c.json'), /packs\[0\]\.url must be an http\(s\) URL/);
  t.throws(() => parseCatalog({ version: 1, packs: [{ ...good, name: '../etc' }] }, 'c.json'), /model name '\.\.\/etc' must be/);
  t.throws(() => parseCatalog({ version: 1, packs: [good, good] }, 'c.json'), /packs\[1\]\.name 'a' appears twice/);
  t.throws(() => loadCatalog('/nonexistent/catalog.json'), /\/nonexistent\/catalog\.json: cannot read the model catalog \(ENOENT\); pass --catalog FILE/);
  t.equal(parseCatalog({ version: 1, packs: [good] }, 'c.json').packs[0]!.name, 'a');
});

t.test('a pack archive name must be a plain file name, so installs stay in the models directory', async (t) => {
  const pack = { name: 'a', family: 'nemo-ctc', languages: ['en'], sizeBytes: 1, url: 'https://x/a.tar.bz2', sha256: 'a'.repeat(64), licence: 'MIT', description: 'd' };
  for (const archive of ['../../victim.txt', 'sub/a.tar.bz2', '/etc/passwd', 'a\\b.tar', '.a.tar.bz2', '..', 'a..b.tar', `${'x'.repeat(201)}.tar`, 'a\nb.tar']) {
    t.throws(() => parseCatalog({ version: 1, packs: [{ ...pack, archive }] }, 'c.json'), { message: `c.json: packs[0] ('a').archive ${JSON.stringify(archive)} must be a plain file name (1-200 letters, digits, '.', '_', '+' or '-', starting with a letter or digit, no '..'), such as the last part of its url` }, archive);
  }
  t.equal(parseCatalog({ version: 1, packs: [{ ...pack, archive: 'sherpa-onnx-whisper-tiny.en+int8_2024.tar.bz2' }] }, 'c.json').packs[0]!.archive, 'sherpa-onnx-whisper-tiny.en+int8_2024.tar.bz2');
});
