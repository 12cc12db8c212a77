import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/paths.js';
import { silentLogger } from '../../daemon/log/logger.js';
import { FileCarbonSource } from '../../daemon/energy/carbon/file-source.js';
import { CarbonHealth } from '../../daemon/scheduler/carbon-health.js';
import { FrameEnergyRuntime } from './helpers/frame-energy-runtime.js';
import { startOneJobScheduler } from './helpers/one-job-scheduler.js';

const until = async (what: () => boolean, ms = 8000) => {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
};

/** A forecast file of one hour-long period starting `fromMs`. */
function writeForecast(path: string, fromMs: number, gPerKWh: number): void {
  writeFileSync(path, JSON.stringify([{ from: new Date(fromMs).toISOString(), to: new Date(fromMs + 3_600_000).toISOString(), gPerKWh }]));
}

t.test('a carbon feed that stays other than live past the limit is a problem for earshot status, cleared when it is live again', async (t) => {
  const dir = tempDir();
  const file = join(dir, 'forecast.json');
  // The forecast has run out: its only period ended yesterday.
  writeForecast(file, Date.now() - 26 * 3_600_000, 120);
  const carbon = new FileCarbonSource({ path: file, staticDefault: 300, refreshMs: 50, logger: silentLogger });
  await carbon.start();
  t.teardown(() => carbon.stop());
  const { scheduler } = await startOneJobScheduler(t, { dir, runtime: new FrameEnergyRuntime(10), logger: silentLogger }, { carbon, carbonProblemAfterMs: 400 });
  t.equal(scheduler.state().problem, undefined, 'not at once: a short outage is the fallback doing its job');
  await until(() => scheduler.state().problem !== undefined);
  t.match(scheduler.state().problem!, /^carbon intensity from file not live for 0 min \(.*forecast\.json has no period covering .*\); batch work is scheduled on the static default 300 g\/kWh \(see earshot carbon\)$/);
  // A new forecast covering now: live again, no problem.
  await new Promise((r) => setTimeout(r, 20));
  writeForecast(file, Date.now() - 60_000, 140);
  await until(() => scheduler.state().problem === undefined);
  t.equal(carbon.current(Date.now()).status, 'live');
});

t.test('the outage is counted on the monotonic clock from the first reading that was not live', async (t) => {
  let now = 1_000;
  const health = new CarbonHealth(60 * 60_000, () => now);
  const stale = { gPerKWh: 180, source: 'mqtt', status: 'last-good' as const, atMs: Date.parse('2026-11-26T08:00:00Z'), note: 'stale: no update for 200 min (signature does not match)' };
  health.observe({ gPerKWh: 180, source: 'mqtt', status: 'live', atMs: 0 });
  health.observe(stale);
  now += 59 * 60_000;
  health.observe(stale);
  t.equal(health.problem(), undefined, '59 min');
  now += 61_000;
  t.equal(health.problem(), 'carbon intensity from mqtt not live for 60 min (stale: no update for 200 min (signature does not match)); batch work is scheduled on the last good value 180 g/kWh, of 2026-11-26T08:00:00.000Z (see earshot carbon)');
  health.observe({ ...stale, status: 'live' });
  t.equal(health.problem(), undefined, 'live again');
});
