import t from 'tap';
import { startDaemon } from '../helpers/daemon-process.js';

/**
 * When whatever reads the daemon's stdout/stderr goes away (journald restarted, a pipe to
 * `head`), each log line fails with EPIPE. That must not become an uncaught exception that
 * logs again (it spun at full CPU, grew to 1.6 GB and ignored SIGTERM); the daemon keeps
 * working and stops cleanly.
 */
t.test('a daemon whose log reader is gone still stops cleanly on SIGTERM', async (t) => {
  const daemon = await startDaemon({ siteId: 'epipe' });
  t.teardown(() => {
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  });
  daemon.child.stdout!.destroy();
  daemon.child.stderr!.destroy();
  await new Promise((r) => setTimeout(r, 300));
  const t0 = Date.now();
  daemon.child.kill('SIGTERM');
  const exited = await Promise.race([daemon.exited, new Promise((r) => setTimeout(() => r('still running 10 s after SIGTERM'), 10_000))]);
  t.equal(exited, 0, `exits 0 (after ${Date.now() - t0} ms)`);
});
