import t from 'tap';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/daemon-process.js';
import { tempDir } from '../helpers/paths.js';

/**
 * The README's install makes /etc/earshot/config.json root:earshot 0640, then has the deployer
 * run `earshot config validate` on it: someone not (yet) in the earshot group must be told how
 * to get in, not only to "check its permissions".
 */
t.test('a config file the user may not read is named with how to get access', async (t) => {
  t.equal(process.getuid?.(), 0, 'runs as root (as CI does) so it can act as another user');
  const dir = tempDir('unreadable-');
  chmodSync(dir, 0o755); // only the file's own mode is in the way
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ siteId: 'branch-12' }));
  chmodSync(file, 0o640); // root:root here, standing in for root:earshot

  const res = await runCli(['config', 'validate', file], {}, { user: 'nobody', group: 'nogroup' });
  const said = res.stdout + res.stderr;
  t.match(said, `${file}: permission denied (EACCES)`);
  t.match(said, /earshot group \(`sudo usermod -aG earshot \$USER`/, 'says how to join the group that may read it');
  t.notMatch(said, /check its permissions/);

  const asRoot = await runCli(['config', 'validate', file]);
  t.equal(asRoot.code, 0, 'root reads it: the file itself is valid');
});
