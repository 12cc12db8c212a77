import t from 'tap';
import { mkdirSync, readFileSync, realpathSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
  t.equal((await readInputFile(path, { within: [spool] })).toString(), 'inside', 'a file in the folder is read');
  t.equal((await statInputFile(path, { within: [spool] })).size, 6);

  // The checked path's folder is swapped for a link to elsewhere, after the check.
  renameSync(join(spool, 'sub'), join(spool, 'sub-old'));
  symlinkSync(outside, join(spool, 'sub'));
  t.equal(readFileSync(path, 'utf8'), 'private audio', 'the path now leads outside');
  await t.rejects(readInputFile(path, { within: [spool] }), new RegExp(`a\\.wav: cannot open: it leads to ${outside}/a\\.wav, outside the folders this caller may name`), 'which within refuses');
  await t.rejects(statInputFile(path, { within: [spool] }), /outside the folders/);
  t.equal((await readInputFile(path, { noFollow: true })).toString(), 'private audio', 'noFollow alone checks only the last element');
  await t.rejects(openInputFile(join(outside, 'a.wav'), { within: [spool] }), /outside the folders/, 'a path outside to begin with');
  await t.rejects(openInputFile(join(spool, 'sub-old', 'a.wav'), { within: [join(spool, 'sub')] }), /outside the folders/, 'a root is a whole path element: sub does not hold sub-old');
});

t.test('within and noFollow: a file swapped for a link is refused; without rules it is followed', async (t) => {
  const { spool, outside, path } = layout();
  renameSync(path, `${path}.old`);
  symlinkSync(join(outside, 'a.wav'), path);
  await t.rejects(openInputFile(path, { within: [spool] }), /a\.wav: cannot open: it is a symbolic link/);
  await t.rejects(openInputFile(path, { noFollow: true }), /a\.wav: cannot open: it is a symbolic link/);
  t.equal((await readInputFile(path)).toString(), 'private audio', "a local caller's path is followed");
  await t.rejects(openInputFile(join(spool, 'missing.wav'), { within: [spool] }), /missing\.wav: cannot open: no such file/);
});
