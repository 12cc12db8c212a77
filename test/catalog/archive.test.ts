import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { MAX_ENTRIES, checkEntry, extractArchive } from '../../daemon/catalog/archive.js';
import { installModel } from '../../daemon/catalog/install.js';
import { tempDir } from '../helpers/paths.js';
import { nemoFixture, setFirstGroupName } from './packs.js';
import { paxEntry, rawTar, type RawEntry } from './raw-tar.js';

const emptyCatalog = { version: 1, packs: [] };

/** Every file and directory under dir, with each file's bytes, for comparing two trees. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (path: string): void => {
    for (const entry of readdirSync(path)) {
      const p = join(path, entry);
      const key = relative(dir, p);
      if (statSync(p).isDirectory()) {
        out[`${key}/`] = '';
        walk(p);
      } else {
        out[key] = readFileSync(p).toString('base64');
      }
    }
  };
  walk(dir);
  return out;
}

function writeRaw(entries: RawEntry[], end = true): string {
  const archive = join(tempDir(), 'raw.tar');
  writeFileSync(archive, rawTar(entries, end));
  return archive;
}

/** Unpacks into a fresh directory inside a fresh parent, so anything written beside it shows. */
async function unpack(archive: string): Promise<{ parent: string; dir: string }> {
  const parent = tempDir();
  const dir = join(parent, 'staging');
  mkdirSync(dir);
  await extractArchive(archive, dir);
  return { parent, dir };
}

async function refused(t: Test, archive: string, pattern: RegExp): Promise<void> {
  const parent = tempDir();
  const dir = join(parent, 'staging');
  mkdirSync(dir);
  await t.rejects(extractArchive(archive, dir), pattern);
  t.same(readdirSync(parent), ['staging'], 'nothing written beside the target');
}

t.test('each entry is checked: kind, name, place', async (t) => {
  t.equal(checkEntry({ path: 'pack/model.onnx', type: '0', size: 9 }), 'pack/model.onnx');
  t.equal(checkEntry({ path: './pack//tokens.txt', type: '7', size: 9 }), 'pack/tokens.txt');
  t.equal(checkEntry({ path: 'pack/', type: '5', size: 0 }), 'pack');
  t.equal(checkEntry({ path: './', type: '5', size: 0 }), undefined, 'the archive root names the target itself');
  const kinds: [string, string][] = [
    ['1', 'a hard link'],
    ['2', 'a symbolic link'],
    ['3', 'a character device'],
    ['4', 'a block device'],
    ['6', 'a FIFO'],
    ['S', 'a GNU sparse file'],
    ['V', 'a GNU volume label'],
    ['Z', "of tar type 'Z'"],
  ];
  for (const [type, kind] of kinds) {
    t.throws(() => checkEntry({ path: 'pack/x', type, size: 0 }), { message: `entry 'pack/x' is ${kind}; model packs hold regular files and directories only` });
  }
  for (const path of ['../evil', '/etc/passwd', 'pack/../../evil', 'pack/..']) {
    t.throws(() => checkEntry({ path, type: '0', size: 1 }), { message: `entry '${path}' would be written outside the model directory; refusing the archive` });
  }
  t.throws(() => checkEntry({ path: 'pack/a\nb', type: '0', size: 1 }), { message: 'entry "pack/a\\nb" has a control character in its name; model packs do not' });
});

t.test('archives written by GNU tar in each format and compression unpack to the same tree', async (t) => {
  const src = tempDir();
  // a path past ustar's 100-byte name (and 155-byte prefix) fields, a file of exactly one
  // block, an empty file, an empty directory, a file over the reader's 1 MiB step
  const deep = join(src, 'pack', 'a'.repeat(60), 'b'.repeat(60), 'c'.repeat(60));
  mkdirSync(deep, { recursive: true });
  mkdirSync(join(src, 'pack', 'empty'));
  writeFileSync(join(deep, `${'long-name-'.repeat(12)}.onnx`), randomBytes(3000));
  writeFileSync(join(src, 'pack', 'block.bin'), randomBytes(512));
  writeFileSync(join(src, 'pack', 'empty.txt'), '');
  writeFileSync(join(src, 'pack', 'large.bin'), randomBytes(1024 * 1024 + 3));
  writeFileSync(join(src, 'pack', 'tokens ünï.txt'), 'a 0\nb 1\n');
  const expected = tree(src);
  const formats: [string, string[]][] = [
    ['gnu', []],
    ['pax', []],
    ['oldgnu', []],
    ['gnu', ['-z']],
    ['pax', ['-j']],
    ['gnu', ['-J']],
  ];
  for (const [format, compress] of formats) {
    const archive = join(tempDir(), `pack-${format}.tar`);
    execFileSync('tar', ['-c', ...compress, '-f', archive, `--format=${format}`, '-C', src, 'pack']);
    const { dir } = await unpack(archive);
    t.same(tree(dir), expected, `${format} ${compress.join('') || 'uncompressed'}`);
  }
  // ustar splits a long path between its prefix and name fields (and has no long names)
  const shallow = tempDir();
  mkdirSync(join(shallow, 'p'.repeat(90), 'q'.repeat(40)), { recursive: true });
  writeFileSync(join(shallow, 'p'.repeat(90), 'q'.repeat(40), `${'n'.repeat(90)}.txt`), 'split');
  const ustar = join(tempDir(), 'split.tar');
  execFileSync('tar', ['-cf', ustar, '--format=ustar', '-C', shallow, 'p'.repeat(90)]);
  t.same(tree((await unpack(ustar)).dir), tree(shallow), 'ustar prefix + name');
});

t.test('pax and GNU long names replace the header name, and are checked like it', async (t) => {
  const pax = writeRaw([paxEntry({ path: 'pack/renamed.onnx', mtime: '1700000000.5' }), { name: 'short', data: 'model' }]);
  t.same(tree((await unpack(pax)).dir), { 'pack/': '', 'pack/renamed.onnx': Buffer.from('model').toString('base64') });
  const long = writeRaw([{ name: '././@LongLink', type: 'L', data: 'pack/from-long-link.txt\0' }, { name: 'trunc', data: 'x' }]);
  t.same(Object.keys(tree((await unpack(long)).dir)), ['pack/', 'pack/from-long-link.txt']);
  await refused(t, writeRaw([paxEntry({ path: '../../etc/cron.d/evil' }), { name: 'harmless.txt', data: 'x' }]), /raw\.tar: entry '\.\.\/\.\.\/etc\/cron\.d\/evil' would be written outside the model directory/);
  await refused(t, writeRaw([{ name: '././@LongLink', type: 'L', data: '/etc/passwd' }, { name: 'harmless.txt', data: 'x' }]), /entry '\/etc\/passwd' would be written outside/);
  await refused(t, writeRaw([paxEntry({ 'GNU.sparse.major': '1' }), { name: 'sparse', data: 'x' }]), /raw\.tar: an entry is a GNU sparse file .*; the file is corrupt or incomplete, download it again/);
  await refused(t, writeRaw([{ name: 'PaxHeader', type: 'x', data: '99 path=x\n' }, { name: 'a', data: 'x' }]), /a pax extended header record at byte 0 is malformed/);
  await refused(t, writeRaw([{ name: 'PaxHeader', type: 'x', size: 2 * 1024 * 1024 }]), /a x meta entry holds 2097152 bytes/);
});

t.test('links, devices and FIFOs are refused as they come, before anything after them', async (t) => {
  const archive = writeRaw([
    { name: 'pack/', type: '5' },
    { name: 'pack/model.onnx', data: 'model' },
    { name: 'pack/null', type: '3' },
    { name: 'pack/tokens.txt', data: 'tokens' },
  ]);
  const parent = tempDir();
  const dir = join(parent, 'staging');
  mkdirSync(dir);
  await t.rejects(extractArchive(archive, dir), { message: `${archive}: entry 'pack/null' is a character device; model packs hold regular files and directories only` });
  t.same(readdirSync(join(dir, 'pack')), ['model.onnx'], 'no device node, and nothing read past it');
  await refused(t, writeRaw([{ name: 'pack/tokens.txt', type: '2' }]), /entry 'pack\/tokens\.txt' is a symbolic link/);
  await refused(t, writeRaw([{ name: 'pack/tokens.txt', type: '1' }]), /entry 'pack\/tokens\.txt' is a hard link/);
});

t.test('a pack holding a FIFO made by GNU tar is refused before it can block the install', async (t) => {
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

t.test('owner and group names cannot hide a ../ entry', async (t) => {
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

t.test('damaged, truncated and foreign files say the archive is corrupt', async (t) => {
  const good = rawTar([{ name: 'pack/model.onnx', data: randomBytes(2000) }]);
  const badSum = Buffer.from(good);
  badSum[10] = 0x41;
  await refused(t, writeRawBytes(badSum), /raw\.tar: a header checksum does not match \(not a tar archive, or a damaged one\); the file is corrupt or incomplete, download it again/);
  await refused(t, writeRawBytes(good.subarray(0, 1500)), /raw\.tar: the archive ends inside entry 'pack\/model\.onnx'; it is incomplete; the file is corrupt/);
  await refused(t, writeRawBytes(good.subarray(0, 300)), /the archive is empty or is not a tar archive/);
  await refused(t, writeRawBytes(Buffer.alloc(0)), /the archive is empty or is not a tar archive/);
  await refused(t, writeRawBytes(Buffer.alloc(10240)), /raw\.tar: the archive is empty; the file is corrupt/);
  await refused(t, writeRaw([{ name: 'global', type: 'g', data: '12 comment=\n' }]), /raw\.tar: the archive is empty; the file is corrupt/);
  await refused(t, writeRaw([{ name: 'global', type: 'g', data: '12 comment=\n' }], false), /raw\.tar: the archive is empty or is not a tar archive/);
  // a size field with a digit octal has not, under a correct checksum
  await refused(t, writeRaw([{ name: 'x', sizeField: Buffer.from('00000009999\0', 'latin1') }]), /raw\.tar: the size field is not an octal number \("00000009999"\); the file is corrupt/);
  // the same bytes compressed, then cut: the decompressor's complaint is what is reported
  const cutShort: Record<string, string> = {
    gzip: 'zlib: unexpected end of file',
    bzip2: 'bzip2: Compressed file ends unexpectedly',
    xz: 'xz: Unexpected end of input',
  };
  for (const [flag, name] of [['-z', 'gzip'], ['-j', 'bzip2'], ['-J', 'xz']] as const) {
    const src = tempDir();
    writeFileSync(join(src, 'model.onnx'), randomBytes(200_000));
    const archive = join(tempDir(), `cut.tar.${name}`);
    execFileSync('tar', ['-c', flag, '-f', archive, '-C', src, 'model.onnx']);
    truncateSync(archive, Math.floor(statSync(archive).size / 2));
    await refused(t, archive, new RegExp(`cut\\.tar\\.${name}: not a readable ${name} stream \\(${cutShort[name]}\\); the file is corrupt or incomplete, download it again$`));
  }
  // a gzip stream whose closing checksum is damaged: all of the tar inside reads whole, and
  // only the decompressor, at the very end, can tell
  const src = tempDir();
  writeFileSync(join(src, 'model.onnx'), randomBytes(100_000));
  const damaged = join(tempDir(), 'crc.tar.gz');
  execFileSync('tar', ['-czf', damaged, '-C', src, 'model.onnx']);
  const bytes = readFileSync(damaged);
  bytes[bytes.length - 6]! ^= 0xff; // inside the trailer's CRC-32
  writeFileSync(damaged, bytes);
  await refused(t, damaged, /crc\.tar\.gz: not a readable gzip stream \(zlib: incorrect data check\); the file is corrupt or incomplete, download it again$/);
  const zstd = join(tempDir(), 'pack.tar.zst');
  writeFileSync(zstd, Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0]));
  await refused(t, zstd, /pack\.tar\.zst: it is compressed with zstd, which model packs do not use; repack it as \.tar\.bz2, \.tar\.gz or \.tar\.xz$/);
});

t.test('a plain .tar cut between two entries is refused; a compressed one without end blocks is read', async (t) => {
  const entries = [
    { name: 'pack/model.onnx', data: randomBytes(1024) },
    { name: 'pack/tokens.txt', data: 'a 0\n' },
  ];
  // Cut exactly at the end of the first entry: every byte there is whole, only the end blocks say it is not all.
  const firstOnly = rawTar(entries.slice(0, 1), false);
  t.same(rawTar(entries).subarray(0, firstOnly.length), firstOnly, 'the cut falls on an entry boundary');
  await refused(t, writeRawBytes(firstOnly), /raw\.tar: the archive stops after entry 'pack\/model\.onnx' without the blocks that end every tar archive; it was cut short; the file is corrupt or incomplete, download it again$/);
  // Compressed, its decompressor checks the stream's end: a writer that left out the end blocks is not refused.
  const archive = join(tempDir(), 'no-end.tar.gz');
  writeFileSync(archive, gzipSync(rawTar(entries, false)));
  const { dir } = await unpack(archive);
  t.same(readdirSync(join(dir, 'pack')).sort(), ['model.onnx', 'tokens.txt']);
});

function writeRawBytes(bytes: Buffer): string {
  const archive = join(tempDir(), 'raw.tar');
  writeFileSync(archive, bytes);
  return archive;
}

t.test('a missing decompressor is named, with the package that has it', async (t) => {
  const src = tempDir();
  writeFileSync(join(src, 'model.onnx'), 'm');
  const archive = join(tempDir(), 'pack.tar.xz');
  execFileSync('tar', ['-cJf', archive, '-C', src, 'model.onnx']);
  const path = process.env.PATH;
  process.env.PATH = tempDir();
  t.teardown(() => {
    process.env.PATH = path;
  });
  await refused(t, archive, /pack\.tar\.xz: unpacking a xz archive needs the xz program, which is not installed \(Debian: apt-get install xz-utils\)$/);
});

t.test('sizes the disk cannot hold, and too many entries, are refused before writing', async (t) => {
  // GNU base-256 size: 2^50 bytes, far past any free space
  const huge = Buffer.alloc(12);
  huge[0] = 0x80;
  huge[5] = 0x04;
  await refused(t, writeRaw([{ name: 'pack/model.onnx', sizeField: huge }], false), /raw\.tar: its files come to more than 1073741824 MB, and \d+ MB are free under .*staging, of which 256 MB are kept for recordings; free some space first/);
  const many = writeRaw(Array.from({ length: MAX_ENTRIES + 1 }, (_, i) => ({ name: `d${i}/`, type: '5' })));
  await refused(t, many, /raw\.tar: it holds more than 10000 entries; model packs hold a few files/);
});

t.test('a name given twice is refused, not overwritten', async (t) => {
  const archive = writeRaw([
    { name: 'pack/tokens.txt', data: 'first' },
    { name: 'pack/tokens.txt', data: 'second' },
  ]);
  const parent = tempDir();
  const dir = join(parent, 'staging');
  mkdirSync(dir);
  await t.rejects(extractArchive(archive, dir), /raw\.tar: cannot unpack entry 'pack\/tokens\.txt': EEXIST/);
  t.equal(readFileSync(join(dir, 'pack', 'tokens.txt'), 'utf8'), 'first');
  t.notOk(existsSync(join(parent, 'pack')));
});
