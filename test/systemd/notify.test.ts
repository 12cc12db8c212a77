import t from 'tap';
import { SystemdNotifier } from '../../daemon/systemd/notify.js';
import { LogSink } from '../../daemon/log/logger.js';
import { listenForNotify } from '../helpers/notify-socket.js';
import { startDaemon, waitFor } from '../helpers/daemon-process.js';

const logger = new LogSink({ level: 'error', format: 'text', write: () => undefined }).logger('systemd');

t.test('without NOTIFY_SOCKET every call is a quiet no-op', async (t) => {
  const n = new SystemdNotifier({ env: {}, logger });
  t.equal(n.active, false);
  await n.ready();
  await n.stopping();
  n.close();
});

t.test('watchdog interval is half of WATCHDOG_USEC, and only for our pid', async (t) => {
  t.equal(new SystemdNotifier({ env: { NOTIFY_SOCKET: '/x', WATCHDOG_USEC: '10000000' }, logger }).watchdogIntervalMs(), 5000);
  t.equal(new SystemdNotifier({ env: { NOTIFY_SOCKET: '/x', WATCHDOG_USEC: '10000000', WATCHDOG_PID: '1' }, logger, pid: 2 }).watchdogIntervalMs(), undefined);
  t.equal(new SystemdNotifier({ env: { NOTIFY_SOCKET: '/x' }, logger }).watchdogIntervalMs(), undefined);
});

t.test('a real daemon sends READY=1, WATCHDOG=1 repeatedly and STOPPING=1 to a datagram socket', async (t) => {
  const listener = await listenForNotify();
  t.teardown(() => listener.close());
  const daemon = await startDaemon({}, { NOTIFY_SOCKET: listener.path, WATCHDOG_USEC: '200000' });
  await waitFor(() => listener.messages.filter((m) => m === 'WATCHDOG=1').length >= 3, 5000, 'three watchdog pings');
  t.ok(listener.messages.some((m) => m.startsWith('READY=1')), listener.messages.join(' | '));
  t.ok(listener.messages.findIndex((m) => m.startsWith('READY=1')) < listener.messages.indexOf('WATCHDOG=1'), 'READY before WATCHDOG');
  daemon.child.kill('SIGTERM');
  t.equal(await daemon.exited, 0);
  // Sent before the exit; the python3 receiver passes it on when it next runs, which on a
  // loaded box can be seconds later (held stopped 2.5 s, it missed a 2 s wait).
  await waitFor(() => listener.messages.includes('STOPPING=1'), 10_000, 'STOPPING=1');
});

t.test('each step of a stop extends systemd\'s stop timeout by its own budget and says what it does', async (t) => {
  const listener = await listenForNotify();
  t.teardown(() => listener.close());
  const daemon = await startDaemon({ scheduler: { stopGraceSec: 30 } }, { NOTIFY_SOCKET: listener.path });
  daemon.child.kill('SIGTERM');
  t.equal(await daemon.exited, 0);
  await waitFor(() => listener.messages.some((m) => m.endsWith('STATUS=stopping data directory')), 5000, 'the last step');
  const steps = listener.messages.slice(listener.messages.indexOf('STOPPING=1') + 1).filter((m) => m.startsWith('EXTEND_TIMEOUT_USEC='));
  const parsed = steps.map((m) => /^EXTEND_TIMEOUT_USEC=(\d+)\nSTATUS=stopping (.+)$/.exec(m)).map((m) => [m?.[2], Number(m?.[1])]);
  t.same(parsed.map(([name]) => name), ['control', 'partials', 'sources', 'scheduler', 'plugins', 'fleet', 'mqtt', 'data directory'], 'every service, in reverse start order');
  t.same(Object.fromEntries(parsed), { control: 10e6, partials: 10e6, sources: 10e6, scheduler: 40e6, plugins: 10e6, fleet: 10e6, mqtt: 10e6, 'data directory': 10e6 }, 'the scheduler\'s covers its 30 s grace for running jobs');
});
