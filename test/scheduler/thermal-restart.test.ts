import t, { type Test } from 'tap';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { restartDaemon, startDaemon, type RunningDaemon } from '../helpers/daemon-process.js';
import { fixturesDir, tempDir } from '../helpers/paths.js';
import { ORIN_CPU_SENSOR, orinDaemon, schedulerStatus, untilSchedulerStatus } from '../helpers/orin-daemon.js';
import { callDaemonUntyped } from '../../daemon/control/client.js';

/**
 * The thermal state across a restart: real daemons on a copy of a Jetson Orin's sysfs, whose
 * CPU sensor, boot id and /proc/uptime are files the test writes (the daemon reads /proc under
 * scheduler.thermal.sysfsRoot). Limits 70 / 85 °C, resume at 65 °C: 67 °C is inside the band.
 */

/** Stops the daemon as systemd does and starts it again on the same config and data; the restarted one is torn down with the test. */
async function restart(t: Test, d: RunningDaemon, whileDown: () => void = () => undefined): Promise<RunningDaemon> {
  d.child.kill('SIGTERM');
  t.equal(await d.exited, 0, 'stopped cleanly');
  whileDown();
  const again = await restartDaemon(d);
  t.teardown(() => void (again.child.exitCode === null && again.child.kill('SIGKILL')));
  return again;
}

/** Drives the daemon past `limitC` and back into the band at 67 °C, where it stays throttled or paused. */
async function cooling(d: RunningDaemon, setTemp: (c: number) => void, limitC: number, state: 'soft' | 'hard'): Promise<void> {
  setTemp(limitC);
  await untilSchedulerStatus(d, new RegExp(`^thermal ${state}, ${limitC}\\.0 °C`));
  setTemp(67);
  await untilSchedulerStatus(d, new RegExp(`^thermal ${state}, 67\\.0 °C.*reached, cooling`));
}

// Each test has its own daemon, sysfs copy and data directory.
t.jobs = 3;

t.test('restarted while cooling from the hard limit inside the band, the daemon stays paused until the box is at 65 °C', async (t) => {
  const { setTemp, daemon } = await orinDaemon(t);
  await cooling(daemon, setTemp, 90, 'hard');
  const again = await restart(t, daemon);
  t.match(again.output(), /thermal state hard taken up from before the start \(saved \d+ s ago at 67\.0 °C, hard since .*\): it holds until the box is at 65 °C or below/);
  const status = await schedulerStatus(again);
  t.equal(status.state, 'paused', status.detail);
  t.match(status.detail, /^thermal hard, 67\.0 °C on thermal_zone0.*thermal hard limit: reached, cooling: 67\.0 °C, batch paused until ≤ 65 °C/);
  setTemp(64);
  t.match(await untilSchedulerStatus(again, /^thermal normal/), /^thermal normal, 64\.0 °C/, 'and resumes below the band');
});

t.test('restarted while cooling from the soft limit, it stays throttled; one that idled at 67 °C without reaching a limit runs unthrottled', async (t) => {
  const { setTemp, daemon } = await orinDaemon(t);
  setTemp(67);
  await untilSchedulerStatus(daemon, /^thermal normal, 67\.0 °C/);
  const idle = await restart(t, daemon);
  t.match((await schedulerStatus(idle)).detail, /^thermal normal, 67\.0 °C/, 'an idling box is not throttled by the restart');
  await cooling(idle, setTemp, 75, 'soft');
  const again = await restart(t, idle);
  t.match((await schedulerStatus(again)).detail, /^thermal soft, 67\.0 °C.*thermal soft limit: reached, cooling: 67\.0 °C, throttled until ≤ 65 °C/);
});

t.test('a saved state that is old by the boot clock, from before a reboot, or unreadable is ignored with a log line, and the start goes on', async (t) => {
  const { root, setTemp, daemon } = await orinDaemon(t);
  await cooling(daemon, setTemp, 90, 'hard');
  const uptime = join(root, 'proc', 'uptime');
  const [up = '0', idle = '0'] = readFileSync(uptime, 'utf8').trim().split(/\s+/);

  // Down for five minutes by the boot clock; the wall clock says seconds, as after a step back.
  const late = await restart(t, daemon, () => writeFileSync(uptime, `${(Number(up) + 300).toFixed(2)} ${idle}\n`));
  t.match(late.output(), /thermal state hard saved before the start is ignored: it was saved 300 s ago, more than 120 s; the temperature now decides/);
  t.match((await schedulerStatus(late)).detail, /^thermal normal, 67\.0 °C/, 'the reading now decides');

  // Hard again, then a reboot: a new boot id.
  await cooling(late, setTemp, 90, 'hard');
  const rebooted = await restart(t, late, () => writeFileSync(join(root, 'proc', 'sys', 'kernel', 'random', 'boot_id'), '0c1d2e3f-4a5b-4c6d-8e7f-112233445566\n'));
  t.match(rebooted.output(), /thermal state hard saved before the start is ignored: it was saved before the box last booted/);
  t.match((await schedulerStatus(rebooted)).detail, /^thermal normal, 67\.0 °C/);

  await cooling(rebooted, setTemp, 90, 'hard');
  const mangled = await restart(t, rebooted, () => writeFileSync(join(rebooted.dir, 'data', 'scheduler', 'thermal-state.json'), '{"state": "ha'));
  t.match(mangled.output(), /WARN +earshot:scheduler the saved thermal state is ignored: .*JSON.*; the temperature now decides/);
  t.match((await schedulerStatus(mangled)).detail, /^thermal normal, 67\.0 °C/);
});

t.test('killed long after it went past the hard limit (no save at stop), the daemon restarted at once stays paused: the state it holds is saved again as it ages', async (t) => {
  const { root, setTemp, daemon } = await orinDaemon(t);
  await cooling(daemon, setTemp, 90, 'hard');
  const stateFile = join(daemon.dir, 'data', 'scheduler', 'thermal-state.json');
  const savedUptime = (): number => (JSON.parse(readFileSync(stateFile, 'utf8')) as { uptimeSec: number }).uptimeSec;
  const uptime = join(root, 'proc', 'uptime');
  const [up = '0', idle = '0'] = readFileSync(uptime, 'utf8').trim().split(/\s+/);
  // Five minutes paused by the boot clock, then a crash: systemd restarts it within seconds.
  writeFileSync(uptime, `${(Number(up) + 300).toFixed(2)} ${idle}\n`);
  for (const end = Date.now() + 5000; Date.now() < end && savedUptime() < Number(up) + 300; ) await new Promise((r) => setTimeout(r, 100));
  t.equal(savedUptime(), Number(up) + 300, 'saved again once it had held for a minute by the boot clock');
  const saved = readFileSync(stateFile, 'utf8');
  await new Promise((r) => setTimeout(r, 1000));
  t.equal(readFileSync(stateFile, 'utf8'), saved, 'not at every pass: the boot clock has not moved since');
  daemon.child.kill('SIGKILL');
  await daemon.exited;
  const again = await restartDaemon(daemon);
  t.teardown(() => void (again.child.exitCode === null && again.child.kill('SIGKILL')));
  t.match(again.output(), /thermal state hard taken up from before the start \(saved 0 s ago at 67\.0 °C/);
  const status = await schedulerStatus(again);
  t.equal(status.state, 'paused', status.detail);
  t.match(status.detail, /^thermal hard, 67\.0 °C/);
});

t.test('without a temperature sensor there is no thermal state to keep: nothing is written at stop, and a newer release\'s file is left as it is', async (t) => {
  // The Orin's boot clock, without its sensors.
  const root = tempDir('earshot-nosensor-');
  cpSync(join(fixturesDir, 'sysfs', 'jetson-orin', 'proc'), join(root, 'proc'), { recursive: true });
  const daemon = await startDaemon({ scheduler: { tickMs: 100, thermal: { sysfsRoot: root } } });
  t.teardown(() => void (daemon.child.exitCode === null && daemon.child.kill('SIGKILL')));
  t.match(daemon.output(), /no temperature sensor found/);
  const stateFile = join(daemon.dir, 'data', 'scheduler', 'thermal-state.json');
  const again = await restart(t, daemon);
  t.notOk(existsSync(stateFile), 'no thermal-state.json written');
  const newer = `${JSON.stringify({ format: 99, state: 'hard', since: '2026-01-01T00:00:00.000Z', temperatureC: 90, savedAt: '2026-01-01T00:00:00.000Z', bootId: 'x', uptimeSec: 1, more: 'a later release\'s' })}\n`;
  mkdirSync(dirname(stateFile), { recursive: true });
  writeFileSync(stateFile, newer);
  await restart(t, again);
  t.equal(readFileSync(stateFile, 'utf8'), newer, 'the newer file is untouched');
});

t.test('a sensor named in the config that read before the restart and cannot be read after it is a lost sensor: a problem, not a saved state held for ever', async (t) => {
  // Named: left to choose, the start would pick another sensor that reads.
  const { root, setTemp, daemon } = await orinDaemon(t, { sensor: 'thermal_zone0' });
  await cooling(daemon, setTemp, 75, 'soft');
  const again = await restart(t, daemon, () => writeFileSync(join(root, ORIN_CPU_SENSOR), 'garbage\n'));
  t.match(again.output(), /thermal state soft taken up from before the start/);
  const status = await untilStatus(again, (s) => (s.problems ?? []).some((p) => /thermal sensor thermal_zone0 cannot be read/.test(p)));
  t.match(status.problems, [/^scheduler: the thermal sensor thermal_zone0 cannot be read/], 'status --check sees it');
  t.match(again.output(), /thermal sensor unreadable 3 times in a row/, 'and the journal says so');
  setTemp(60);
  t.match(await untilSchedulerStatus(again, /^thermal normal/), /^thermal normal, 60\.0 °C/, 'a reading again ends it');
});

/** Waits until the daemon's status (as `earshot status --json` shows it) passes `check`. */
async function untilStatus(d: RunningDaemon, check: (s: { problems?: string[] }) => boolean): Promise<{ problems?: string[] }> {
  let status: { problems?: string[] } = {};
  for (const end = Date.now() + 15_000; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
    status = (await callDaemonUntyped('status', {}, { socket: d.socket })) as { problems?: string[] };
    if (check(status)) return status;
  }
  return status;
}
