import t from 'tap';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesDir, tempDir } from '../helpers/paths.js';
import { runCli, startDaemon } from '../helpers/daemon-process.js';

/**
 * earshot status says what the scheduler reads: the temperature it keeps to the limits and the
 * box's draw against the power budget. A daemon on a copy of a NUC's sysfs, whose RAPL package
 * counter this test advances at 25 W, as load the daemon does not make would.
 */
t.test("earshot status shows the scheduler's temperature and the measured draw against the budget", async (t) => {
  const root = tempDir('earshot-readings-');
  cpSync(join(fixturesDir, 'sysfs', 'intel-nuc'), root, { recursive: true });
  const counter = join(root, 'sys/class/powercap/intel-rapl:0/energy_uj');
  const watts = 25;
  let last = performance.now();
  const burn = setInterval(() => {
    const now = performance.now();
    writeFileSync(counter, String(Number(readFileSync(counter, 'utf8')) + Math.round(watts * (now - last) * 1000)));
    last = now;
  }, 50);
  t.teardown(() => clearInterval(burn));
  // The draw is measured over the time between two passes: a longer tick makes a late write of
  // the counter (this process stalled on a loaded box) a smaller part of it.
  const daemon = await startDaemon({ scheduler: { tickMs: 1000, powerBudgetWatts: 10, thermal: { sysfsRoot: root } } });
  t.teardown(() => {
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  });
  const scheduler = async (): Promise<string> => {
    const r = await runCli(['status', '--json', '--socket', daemon.socket]);
    if (r.code !== 0) throw new Error(`earshot status failed (${r.code}): ${r.stderr}`);
    return (JSON.parse(r.stdout) as { components: Array<{ name: string; detail: string }> }).components.find((c) => c.name === 'scheduler')?.detail ?? '';
  };
  let detail = await scheduler();
  // The first pass has one counter reading only: the draw is measured from the second.
  for (const until = Date.now() + 15_000; !/measured/.test(detail) && Date.now() < until; await new Promise((r) => setTimeout(r, 200))) detail = await scheduler();
  // The hottest CPU sensor at start, coretemp's Package id 0 (46 °C).
  t.match(detail, /^thermal normal, 46\.0 °C on hwmon2\/temp1, draw (2[0-9]|3[0-2])\.\d W measured, over the 10 W budget, 1 thread × 1, model unloaded/, detail);

  const set = await runCli(['budget', 'set', '--watts', '100', '--socket', daemon.socket]);
  t.equal(set.code, 0, set.stderr);
  // The set makes a pass at once, whose draw is over the moments since the last tick; two ticks
  // later the draw is over a whole tick again.
  await new Promise((r) => setTimeout(r, 2200));
  t.match(await scheduler(), /draw (2[0-9]|3[0-2])\.\d W measured of a 100 W budget/);
  writeFileSync(join(root, 'sys/class/hwmon/hwmon2/temp1_input'), '80000');
  for (const until = Date.now() + 15_000; !/thermal soft/.test(detail) && Date.now() < until; await new Promise((r) => setTimeout(r, 200))) detail = await scheduler();
  t.match(detail, /^thermal soft, 80\.0 °C on hwmon2\/temp1, /);
});
