import t from 'tap';
import { runCli, startDaemon, waitFor } from '../helpers/daemon-process.js';

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
