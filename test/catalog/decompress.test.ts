import t from 'tap';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { openTarStream } from '../../daemon/catalog/decompress.js';
import { tempDir } from '../helpers/paths.js';

t.test('a pack decompressed while the reader is busy loses nothing', async (t) => {
  const src = tempDir();
  // about two pipe buffers: the decompressor writes the rest and exits while we are away
  writeFileSync(join(src, 'tokens.txt'), randomBytes(60_000).toString('hex'));
  for (const [flag, suffix] of [['-j', 'bz2'], ['-J', 'xz'], ['-z', 'gz'], ['', 'tar']] as const) {
    const archive = join(tempDir(), `small.${suffix}`);
    execFileSync('tar', ['-c', ...(flag ? [flag] : []), '-f', archive, '-C', src, 'tokens.txt']);
    const expected = execFileSync('tar', ['-xO', ...(flag ? [flag] : []), '-f', archive, 'tokens.txt'], { maxBuffer: 1 << 20 });
    const stream = await openTarStream(archive);
    await sleep(200); // the caller has other work first (the free-space check, say)
    const chunks: Buffer[] = [];
    const first = await stream.next();
    if (!first.done) chunks.push(first.value);
    await sleep(300); // and more while it writes the first files
    for await (const chunk of stream) chunks.push(chunk);
    const tar = Buffer.concat(chunks);
    t.ok(tar.length >= 512 + expected.length, `${suffix}: the whole tar came through (${tar.length} bytes)`);
    t.ok(tar.subarray(512, 512 + expected.length).equals(expected), `${suffix}: the file's bytes follow its header`);
  }
});

t.test('stopping early ends the decompressor and closes the file', async (t) => {
  const src = tempDir();
  writeFileSync(join(src, 'model.onnx'), randomBytes(4 * 1024 * 1024));
  const archive = join(tempDir(), 'big.tar.xz');
  execFileSync('tar', ['-cJf', archive, '-C', src, 'model.onnx']);
  // a running decompressor holds a process handle and three pipes
  const count = (kind: string): number => process.getActiveResourcesInfo().filter((k) => k === kind).length;
  const pipesBefore = count('PipeWrap');
  const stream = await openTarStream(archive);
  await stream.next();
  t.equal(count('ProcessWrap'), 1, 'the decompressor runs');
  await stream.return(undefined);
  for (let i = 0; i < 50 && count('ProcessWrap') + count('PipeWrap') > pipesBefore; i++) await sleep(20);
  t.equal(count('ProcessWrap'), 0, 'the decompressor is gone');
  t.equal(count('PipeWrap'), pipesBefore, 'and its pipes are closed');
});
