import t from 'tap';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkListing, checkPlainTree } from '../../daemon/catalog/archive.js';
import { installModel } from '../../daemon/catalog/install.js';
import { tempDir } from '../helpers/paths.js';
import { nemoFixture, setFirstGroupName } from './packs.js';

const emptyCatalog = { version: 1, packs: [] };

// `tar -tv --numeric-owner` lines as GNU tar 1.34 prints them for a device archive
const DEVICE_LISTING = {
  names: 'pack/\npack/null\npack/loop0\n',
  verbose: [
    'drwxr-xr-x 0/0               0 2024-05-01 12:00 pack/',
    'crw-rw-rw- 0/0             1,3 2024-05-01 12:00 pack/null',
    'brw-rw---- 0/6             7,0 2024-05-01 12:00 pack/loop0',
  ].join('\n'),
};

t.test('the listing check accepts regular files and directories only', async (t) => {
  t.same(checkListing('a.tar', 'pack/\npack/model.onnx\n', 'drwxr-xr-x 0/0 0 2024-05-01 12:00 pack/\n-rw-r--r-- 0/0 9 2024-05-01 12:00 pack/model.onnx\n'), ['pack/', 'pack/model.onnx']);
  t.throws(() => checkListing('dev.tar', DEVICE_LISTING.names, DEVICE_LISTING.verbose), { message: "dev.tar: entry 'pack/null' is a character device; model packs hold regular files and directories only" });
  const blockOnly = { names: 'pack/loop0\n', verbose: DEVICE_LISTING.verbose.split('\n')[2]! };
  t.throws(() => checkListing('dev.tar', blockOnly.names, blockOnly.verbose), /entry 'pack\/loop0' is a block device/);
  t.throws(() => checkListing('v.tar', 'vol\n', 'V--------- 0/0 0 2024-05-01 12:00 vol--Volume Header--\n'), /entry 'vol' is of tar type 'V'/);
  t.throws(() => checkListing('x.tar', 'a\nb\n', '-rw-r--r-- 0/0 1 2024-05-01 12:00 a\n'), /x\.tar: tar lists 2 names but 1 entry lines .*; the archive headers are malformed, refusing it/);
  t.throws(() => checkListing('e.tar', '', ''), /e\.tar: the archive is empty/);
});

t.test('a pack holding a FIFO is refused before it can block the install', async (t) => {
  const dir = tempDir();
  const pack = join(dir, 'src', 'fifo-nemo');
  mkdirSync(pack, { recursive: true });
  cpSync(join(nemoFixture, 'model.onnx'), join(pack, 'model.onnx'));
  // a FIFO named like the tokens file: hashing it would wait for a writer forever
  execFileSync('mkfifo', [join(pack, 'tokens.txt')]);
  const archive = join(dir, 'fifo-nemo.tar.bz2');
  execFileSync('tar', ['-cjf', archive, '-C', join(dir, 'src'), 'fifo-nemo']);
  const modelsDir = join(dir, 'models');
  await t.rejects(installModel({ source: archive, modelsDir, catalog: emptyCatalog }), /fifo-nemo\.tar\.bz2: entry 'fifo-nemo\/tokens\.txt' is a FIFO; model packs hold regular files and directories only/);
  t.same(readdirSync(modelsDir), [], 'nothing installed, no staging left');
});

t.test('a group name that looks like a time cannot hide a ../ entry', async (t) => {
  const dir = tempDir();
  writeFileSync(join(dir, 'evil.txt'), 'x');
  const archive = join(dir, 'owner-trick.tar');
  execFileSync('tar', ['-cf', archive, '--format=ustar', '-C', dir, '--transform', 's,^,../,', 'evil.txt'], { stdio: 'pipe' });
  setFirstGroupName(archive, '12:00');
  t.match(execFileSync('tar', ['-tvf', archive]).toString(), /\/12:00 /, 'tar prints the crafted group name');
  const modelsDir = join(dir, 'models');
  await t.rejects(installModel({ source: archive, modelsDir, catalog: emptyCatalog }), /entry '\.\.\/evil\.txt' would be written outside the model directory/);
  t.same(readdirSync(modelsDir), []);
});

t.test('after unpacking, anything but regular files and directories is refused', async (t) => {
  const dir = tempDir();
  mkdirSync(join(dir, 'pack', 'sub'), { recursive: true });
  writeFileSync(join(dir, 'pack', 'model.onnx'), 'm');
  t.doesNotThrow(() => checkPlainTree(dir, 'ok.tar'));
  execFileSync('mkfifo', [join(dir, 'pack', 'sub', 'pipe')]);
  t.throws(() => checkPlainTree(dir, 'p.tar'), { message: "p.tar: unpacked 'pack/sub/pipe', a FIFO; model packs hold regular files and directories only" });
  const linked = tempDir();
  symlinkSync('/etc/passwd', join(linked, 'tokens.txt'));
  t.throws(() => checkPlainTree(linked, 'l.tar'), /l\.tar: unpacked 'tokens\.txt', a symbolic link/);
  t.ok(existsSync(join(dir, 'pack', 'sub', 'pipe')), 'the check only reads');
});
