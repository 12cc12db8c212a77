import t from 'tap';
import { join } from 'node:path';
import { startDaemon, runCli } from '../helpers/daemon-process.js';
import { fixturesDir } from '../helpers/paths.js';

t.test('earshot model load|unload drive the daemon\'s model, and status shows it', async (t) => {
  const daemon = await startDaemon({ model: { dir: join(fixturesDir, 'asr', 'models', 'nemo-ctc'), providers: ['cpu'] } });
  t.teardown(() => {
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  });
  const load = await runCli(['model', 'load', '--json', '--socket', daemon.socket]);
  t.equal(load.code, 0, load.stderr);
  t.match(JSON.parse(load.stdout), { state: 'loaded', device: 'cpu', loads: 1 });
  t.ok(JSON.parse(load.stdout).residentBytes > 0);
  const unload = await runCli(['model', 'unload', '--socket', daemon.socket]);
  t.equal(unload.code, 0, unload.stderr);
  t.match(unload.stdout, /model unloaded .*1 unloads; last unload: earshot model unload/);
  daemon.child.kill('SIGTERM');
  t.equal(await daemon.exited, 0);
});
