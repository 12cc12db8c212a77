import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanEnv, earshotdBin, runCli, startDaemon, waitFor } from '../helpers/daemon-process.js';
import { fixturesDir, tempDir } from '../helpers/paths.js';

t.test('SIGHUP leaves the daemon serving and logs that a reload needs a restart', async (t) => {
  const daemon = await startDaemon();
  t.teardown(() => void daemon.child.kill('SIGKILL'));
  daemon.child.kill('SIGHUP');
  await waitFor(() => /SIGHUP: reloading the configuration is not supported/.test(daemon.output()) || daemon.child.exitCode !== null || daemon.child.signalCode !== null, 5000, 'the SIGHUP log line');
  t.match(daemon.output(), /WARN +earshot:daemon SIGHUP: reloading the configuration is not supported; .*Restart the service to apply config changes/);
  const status = await runCli(['status', '--json', '--socket', daemon.socket]);
  t.equal(status.code, 0, `status answers after SIGHUP: ${status.stderr}${daemon.output()}`);
  t.equal(daemon.child.exitCode, null, 'still running');
  t.equal(daemon.child.signalCode, null, 'not killed by the signal');
  // And a SIGTERM after it still stops it cleanly: the SIGHUP was not taken as a first stop signal.
  daemon.child.kill('SIGTERM');
  t.equal(await daemon.exited, 0, daemon.output());
  t.match(daemon.output(), /INFO +earshot:daemon stopped/);
});

t.test('in a terminal that closes (SIGHUP, then EIO on every log write), the daemon stops cleanly, then ends by the signal, instead of spinning on its own log errors', async (t) => {
  const dir = tempDir('earshot-sighup-tty-');
  const socket = join(dir, 'control.sock');
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ siteId: 'tty', dataDir: join(dir, 'data'), control: { socket }, mqtt: { url: null, embedded: { host: '127.0.0.1', port: 0 }, telemetryIntervalSec: 0 } }));
  const run = spawnSync('python3', [join(fixturesDir, 'faults', 'run-in-pty.py'), 'INFO +earshot:daemon ready', '20', process.execPath, earshotdBin, '--config', config], {
    // As it runs on a box: without tap's module hooks (NODE_OPTIONS).
    env: { ...cleanEnv(), NODE_OPTIONS: '' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  // Ended by the hangup itself, as a process in a closed terminal is, once it had stopped.
  t.equal(run.stdout.trim(), 'signal 1', `it stopped on the hangup:\n${run.stdout}${run.stderr}`);
  t.notOk(existsSync(socket), 'a clean stop: its control socket removed');
});
