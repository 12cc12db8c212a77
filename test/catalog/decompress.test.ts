import t from 'tap';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { openTarStream } from '../../daemon/catalog/decompress.js';
import { tempDir } from '../helpers/paths.js';

t.test('a pack decompressed before anyone reads it loses nothing', async (t) => {
  const src = tempDir();
  // small enough that the decompressor writes it all into the pipe and exits at once
  writeFileSync(join(src, 'tokens.txt'), randomBytes(20_000).toString('hex'));
  for (const [flag, suffix] of [['-j', 'bz2'], ['-J', 'xz'], ['-z', 'gz']] as const) {
    const archive = join(tempDir(), `small.tar.${suffix}`);
    execFileSync('tar', ['-c', flag, '-f', archive, '-C', src, 'tokens.txt']);
    const expected = execFileSync('tar', ['-xO', flag, '-f', archive, '--to-stdout', 'tokens.txt']);
    const stream = await openTarStream(archive);
    await sleep(300); // the caller has other work first (the free-space check, say)
    const chunks: Buffer[] = [];
    for await (const chunk of stream.chunks) chunks.push(chunk);
    stream.close();
    const tar = Buffer.concat(chunks);
    t.ok(tar.length >= 512 + expected.length, `${suffix}: the whole tar came through (${tar.length} bytes)`);
    t.ok(tar.subarray(512, 512 + expected.length).equals(expected), `${suffix}: the file's bytes follow its header`);
  }
});
