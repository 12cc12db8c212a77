import t from 'tap';
import { mkdirSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeDurable } from '../../daemon/scheduler/durable-file.js';
import { tempDir } from '../helpers/paths.js';

t.test('a failed durable write leaves no temp file behind to hold the space', async (t) => {
  const dir = tempDir();
  const tmp = join(dir, 'tmp');
  mkdirSync(tmp);
  // The rename cannot succeed: the target folder does not exist.
  await t.rejects(writeDurable(tmp, join(dir, 'missing', 'job.json'), Buffer.from('{}')), { code: 'ENOENT' });
  t.same(readdirSync(tmp), [], 'the temp file was removed');
  await writeDurable(tmp, join(dir, 'job.json'), Buffer.from('{"ok":true}'));
  t.ok(existsSync(join(dir, 'job.json')));
  t.same(readdirSync(tmp), [], 'and none is left after a good write');
});
