import t from 'tap';
import { mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkRemotePaths } from '../../daemon/control/remote-paths.js';
import { ControlError } from '../../daemon/control/protocol.js';
import { tempDir } from '../helpers/paths.js';

t.test('remote jobs may only name files inside the configured spool folders', async (t) => {
  const dir = tempDir('remote-paths-');
  const spool = join(dir, 'spool');
  mkdirSync(spool);
  const inside = join(spool, 'a.wav');
  const outside = join(dir, 'secret.wav');
  writeFileSync(inside, 'x');
  writeFileSync(outside, 'x');
  symlinkSync(outside, join(spool, 'link.wav'));

  t.doesNotThrow(() => checkRemotePaths('jobs.submit', { paths: [inside] }, [spool]));
  t.doesNotThrow(() => checkRemotePaths('status', { paths: ['/etc/passwd'] }, []), 'other methods are not about files');
  for (const p of [outside, '/etc/passwd', join(spool, '..', 'secret.wav'), join(spool, 'link.wav'), join(spool, 'missing.wav')]) {
    t.throws(() => checkRemotePaths('jobs.submit', { paths: [p] }, [spool]), ControlError, p);
  }
  t.throws(() => checkRemotePaths('jobs.offer', { paths: [inside] }, []), /no spool folders configured/);
});

t.test('the checked params carry the resolved paths, and the spool folders as `within` for the read', async (t) => {
  const dir = realpathSync(tempDir('remote-paths-'));
  const spool = join(dir, 'spool');
  mkdirSync(join(spool, 'sub'), { recursive: true });
  writeFileSync(join(spool, 'sub', 'a.wav'), 'x');
  symlinkSync(join(spool, 'sub'), join(spool, 'alias'));
  const checked = checkRemotePaths('jobs.submit', { paths: [join(spool, 'alias', 'a.wav')], priority: 'batch', within: ['/'] }, [join(dir, 'spool', '.')]);
  t.same(checked, { paths: [join(spool, 'sub', 'a.wav')], priority: 'batch', within: [spool] }, 'resolved path, and the caller\'s own `within` replaced');
  const status = { paths: ['/etc/passwd'] };
  t.equal(checkRemotePaths('status', status, [spool]), status, 'other methods pass unchanged');
});
