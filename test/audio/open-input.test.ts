import t from 'tap';
import { mkdirSync, readFileSync, realpathSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { openInputFile, readInputFile, statInputFile } from '../../daemon/audio/open-input.js';
import { tempDir } from '../helpers/paths.js';

/**
 * Input files named by someone less trusted than the daemon (a remote caller, a writer to
 * the spool) are held to their folder when they are read, not only when they were checked.
 */
function layout() {
  const root = realpathSync(tempDir('open-input-'));
  const spool = join(root, 'spool');
  const outside = join(root, 'private');
  mkdirSync(join(spool, 'sub'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(spool, 'sub', 'a.wav'), 'inside');
  writeFileSync(join(outside, 'a.wav'), 'private audio');
  return { spool, outside, path: join(spool, 'sub', 'a.wav') };
}

t.test('within: the file as the kernel opened it must lie in the folder', async (t) => {
  const { spool, outside, path } = layout();
  t.equal((await readInputFile(path, { within: [spool] })).data.toString(), 'inside', 'a file in the folder is read');
  t.equal((await statInputFile(path, { within: [spool] })).size, 6);

  // The checked path's folder is swapped for a link to elsewhere, after the check.
  renameSync(join(spool, 'sub'), join(spool, 'sub-old'));
  symlinkSync(outside, join(spool, 'sub'));
  t.equal(readFileSync(path, 'utf8'), 'private audio', 'the path now leads outside');
  await t.rejects(readInputFile(path, { within: [spool] }), new RegExp(`a\\.wav: cannot open: it leads to ${outside}/a\\.wav, outside the folders this caller may name`), 'which within refuses');
  await t.rejects(statInputFile(path, { within: [spool] }), /outside the folders/);
  t.equal((await readInputFile(path, { noFollow: true })).data.toString(), 'private audio', 'noFollow alone checks only the last element');
  await t.rejects(openInputFile(join(outside, 'a.wav'), { within: [spool] }), /outside the folders/, 'a path outside to begin with');
  await t.rejects(openInputFile(join(spool, 'sub-old', 'a.wav'), { within: [join(spool, 'sub')] }), /outside the folders/, 'a root is a whole path element: sub does not hold sub-old');
});

t.test('within and noFollow: a file swapped for a link is refused; without rules it is followed', async (t) => {
  const { spool, outside, path } = layout();
  renameSync(path, `${path}.old`);
  symlinkSync(join(outside, 'a.wav'), path);
  await t.rejects(openInputFile(path, { within: [spool] }), /a\.wav: cannot open: it is a symbolic link/);
  await t.rejects(openInputFile(path, { noFollow: true }), /a\.wav: cannot open: it is a symbolic link/);
  t.equal((await readInputFile(path)).data.toString(), 'private audio', "a local caller's path is followed");
  await t.rejects(openInputFile(join(spool, 'missing.wav'), { within: [spool] }), /missing\.wav: cannot open: no such file/);
});

t.test('a FIFO, a directory or a device in the file\'s place is refused at once, not waited on', async (t) => {
  const { spool } = layout();
  const fifo = join(spool, 'fifo.wav');
  t.equal(spawnSync('mkfifo', [fifo]).status, 0, 'mkfifo');
  // Without O_NONBLOCK this open would wait for a writer, holding a thread of the pool for ever.
  for (const rules of [{}, { noFollow: true }, { within: [spool] }]) {
    await t.rejects(openInputFile(fifo, rules), /fifo\.wav: cannot open: not a regular file \(a directory, device or pipe\)/, `FIFO, rules ${JSON.stringify(rules)}`);
  }
  await t.rejects(openInputFile(join(spool, 'sub'), { within: [spool] }), /sub: cannot open: not a regular file/, 'a directory');
  await t.rejects(openInputFile('/dev/null'), /null: cannot open: not a regular file/, 'a device');
  await t.rejects(readInputFile(join(spool, 'sub', 'a.wav'), { within: [spool] }, 3), /6 bytes is over the limit of 3/, 'a file over the size limit is refused before it is read');
  const missing = await openInputFile(join(spool, 'none.wav')).catch((err: NodeJS.ErrnoException) => err);
  t.equal((missing as NodeJS.ErrnoException).code, 'ENOENT', 'the errno stays on the error');
});
