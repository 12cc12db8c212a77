import t from 'tap';
import { existsSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { launchDaemon, waitFor } from '../helpers/daemon-process.js';

/**
 * `systemctl stop` or `restart` while the daemon is still starting (here: a broker that
 * takes its TCP connection and never answers, so the MQTT start waits for its connect
 * timeout). The stop must wait for the service being started, start nothing after it, stop
 * everything, and exit; it used to stop the half that had started, then start the rest,
 * announce READY and keep running until systemd's SIGKILL.
 */
t.test('SIGTERM during the start stops the daemon, and nothing starts after it', async (t) => {
  const sockets: Socket[] = [];
  const silent = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const socket of sockets) socket.destroy();
    silent.close();
  });
  const port = (silent.address() as { port: number }).port;
  const daemon = launchDaemon({ siteId: 'slow-start', mqtt: { url: `mqtt://127.0.0.1:${port}`, connectTimeoutMs: 3000 } });
  t.teardown(() => {
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  });
  await waitFor(() => sockets.length > 0, 20_000, 'the daemon to dial the broker');
  daemon.child.kill('SIGTERM');
  const exited = await Promise.race([daemon.exited, new Promise((r) => setTimeout(() => r('still running 15 s after SIGTERM'), 15_000))]);
  t.equal(exited, 0, 'exits 0');
  const out = daemon.output();
  const afterStop = out.slice(out.indexOf('stopping'));
  t.notMatch(afterStop, /\bready\b|earshot:control listening|job queue open/, 'nothing started after the stop began');
  t.match(out, /stopped/);
  t.notOk(existsSync(daemon.socket), 'no control socket left behind');
});
