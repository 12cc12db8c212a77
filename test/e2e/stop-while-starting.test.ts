import t, { type Test } from 'tap';
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
/** A broker that takes TCP connections and never answers, as a hung one does. */
async function silentBroker(t: Test): Promise<{ port: number; sockets: Socket[] }> {
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
  return { port: (silent.address() as { port: number }).port, sockets };
}

/** Starts a daemon against the silent broker and sends SIGTERM once it has dialled; resolves with how it ended. */
async function stopWhileDialling(t: Test, siteId: string, connectTimeoutMs: number) {
  const broker = await silentBroker(t);
  const daemon = launchDaemon({ siteId, mqtt: { url: `mqtt://127.0.0.1:${broker.port}`, connectTimeoutMs } });
  t.teardown(() => {
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  });
  await waitFor(() => broker.sockets.length > 0, 20_000, 'the daemon to dial the broker');
  const signalled = Date.now();
  daemon.child.kill('SIGTERM');
  const exited = await Promise.race([daemon.exited, new Promise((r) => setTimeout(() => r('still running 18 s after SIGTERM'), 18_000))]);
  return { daemon, exited, tookMs: Date.now() - signalled };
}

// Each test has a silent broker and a daemon of its own, and spends its time waiting out a
// connect or stop timeout: they run side by side.
t.jobs = 2;

t.test('SIGTERM during the start stops the daemon, and nothing starts after it', async (t) => {
  const { daemon, exited } = await stopWhileDialling(t, 'slow-start', 3000);
  t.equal(exited, 0, 'exits 0');
  const out = daemon.output();
  const afterStop = out.slice(out.indexOf('stopping'));
  t.notMatch(afterStop, /\bready\b|earshot:control listening|job queue open/, 'nothing started after the stop began');
  t.match(out, /stopped/);
  t.notOk(existsSync(daemon.socket), 'no control socket left behind');
});

t.test('a start that would outlast the stop timeout is given up on, and the daemon exits within it', async (t) => {
  // a minute for one connect attempt: the stop must not wait for it
  const { daemon, exited, tookMs } = await stopWhileDialling(t, 'hung-broker', 60_000);
  t.equal(exited, 0, 'exits 0');
  t.ok(tookMs < 15_000, `within systemd's 20 s with room to spare (${tookMs} ms)`);
  t.match(daemon.output(), /mqtt is still starting 8 s into the stop; stopping the rest without it/);
  t.match(daemon.output(), /exiting with a start still under way/);
  t.notOk(existsSync(daemon.socket), 'no control socket left behind');
});
