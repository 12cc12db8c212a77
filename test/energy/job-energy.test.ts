import t from 'tap';
import { cpSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesDir, tempDir } from '../helpers/paths.js';
import { accountJobEnergy, gramsCo2e } from '../../daemon/energy/job-energy.js';
import { profileFor } from '../../daemon/energy/cpu-power-profile.js';
import { JobEnergyTracker } from '../../daemon/energy/job-energy-tracker.js';
import { parseProcStatBusySeconds } from '../../daemon/energy/cpu-time.js';
import { listRaplZones, RaplMeter } from '../../daemon/hardware/rapl.js';
import type { JobEnergy } from '../../daemon/energy/job-energy.js';

/** A job of `ms` (busy all along) billed over a copy of the NUC's RAPL counters, `during` done to the copy meanwhile. */
async function jobOnNucCopy(ms: number, during: (root: string) => void = () => undefined): Promise<JobEnergy> {
  const root = tempDir('earshot-energy-');
  cpSync(join(fixturesDir, 'sysfs', 'intel-nuc'), root, { recursive: true });
  let now = 0;
  const tracker = new JobEnergyTracker({ meters: [new RaplMeter(root, await listRaplZones(root), () => now)], cpuFamily: 'intel-core', root, clock: () => now, cpuSeconds: () => now / 1000 });
  const start = await tracker.begin();
  during(root);
  now = ms;
  return tracker.end(start);
}

t.test('measured energy is apportioned by the process share of busy CPU', async (t) => {
  const e = accountJobEnergy({ wallSeconds: 10, processCpuSeconds: 5, systemCpuSeconds: 20, meter: { ok: true, joules: 400, kind: 'rapl' }, cpuFamily: 'intel-core' });
  t.equal(e.source, 'measured');
  t.equal(e.share, 0.25);
  t.equal(e.joules, 100);
  t.equal(e.kWh, 100 / 3.6e6);
});

t.test('alone on the box the whole delta is billed, never more', async (t) => {
  const e = accountJobEnergy({ wallSeconds: 10, processCpuSeconds: 5, systemCpuSeconds: 4, meter: { ok: true, joules: 80, kind: 'ina3221' }, cpuFamily: 'arm-cortex-a78' });
  t.equal(e.joules, 80);
  t.equal(e.share, 1);
});

t.test('no meter → estimated from CPU seconds and idle share, with the reason', async (t) => {
  const e = accountJobEnergy({ wallSeconds: 10, processCpuSeconds: 4, meter: { ok: false, reason: 'rapl: EACCES' }, cpuFamily: 'intel-core', idleShare: 0.5 });
  t.equal(e.source, 'estimated');
  // 4 s × 5.5 W + 6 W × 10 s × 0.5
  t.equal(e.joules, 52);
  t.equal(e.note, 'rapl: EACCES');
  const nan = accountJobEnergy({ wallSeconds: NaN, processCpuSeconds: -3, cpuFamily: 'unknown' });
  t.equal(nan.joules, 0);
  t.equal(nan.note, 'no readable power meter on this box');
});

t.test('gCO2e = kWh × intensity', async (t) => {
  t.equal(gramsCo2e(0.5, 200), 100);
  t.equal(gramsCo2e(NaN, 200), 0);
});

t.test('/proc/stat busy seconds', async (t) => {
  t.equal(parseProcStatBusySeconds('cpu  100 20 30 5000 40 5 5 0 0 0\ncpu0 1 2 3 4\n'), 1.6);
  t.equal(parseProcStatBusySeconds('intr 1 2 3'), undefined);
});

t.test('tracker over a real RAPL fixture copy: measured, with the wrap handled', async (t) => {
  const root = tempDir('earshot-energy-');
  cpSync(join(fixturesDir, 'sysfs', 'intel-nuc'), root, { recursive: true });
  mkdirSync(join(root, 'proc'), { recursive: true });
  writeFileSync(join(root, 'proc/stat'), 'cpu  1000 0 1000 90000 0 0 0 0 0 0\n');
  const zones = await listRaplZones(root);
  let now = 0;
  let cpu = 10;
  const tracker = new JobEnergyTracker({ meters: [new RaplMeter(root, zones, () => now)], cpuFamily: 'intel-core', root, clock: () => now, cpuSeconds: () => cpu });
  const start = await tracker.begin();
  // 30 J on the package (across a wrap) and 0 on DRAM; the box was busy 4 CPU-s, we used 2.
  writeFileSync(join(root, 'sys/class/powercap/intel-rapl:0/energy_uj'), String(30_000_000 - (262143328850 - 189235871552)));
  writeFileSync(join(root, 'proc/stat'), 'cpu  1200 0 1200 90000 0 0 0 0 0 0\n');
  now = 5000;
  cpu = 12;
  const e = await tracker.end(start);
  t.equal(e.source, 'measured');
  t.equal(e.method, 'rapl');
  t.ok(Math.abs(e.joules - 15) < 1e-9, `joules ${e.joules}`);
});

t.test('a RAPL counter that does not move over a job measures nothing: the job is estimated, saying why', async (t) => {
  const e = await jobOnNucCopy(2000);
  t.equal(e.source, 'estimated', 'not measured at 0 J');
  t.match(e.note, /^rapl: counter did not move in 2\.00 s: it measures nothing here$/);
  t.ok(e.joules > 0, `joules ${e.joules}`);
});

t.test('tracker with an unreadable meter falls back to estimated, never NaN', async (t) => {
  const e = await jobOnNucCopy(2000, (root) => writeFileSync(join(root, 'sys/class/powercap/intel-rapl:0/energy_uj'), ''));
  t.equal(e.source, 'estimated');
  t.match(e.note, /rapl: .*EINVAL/);
  t.ok(Number.isFinite(e.joules) && e.joules > 0);
});

t.test('an estimate with the operator\'s figures uses them in place of the family\'s, and says so', async (t) => {
  const family = accountJobEnergy({ wallSeconds: 10, processCpuSeconds: 5, cpuFamily: 'arm-cortex-a78' });
  const configured = accountJobEnergy({ wallSeconds: 10, processCpuSeconds: 5, cpuFamily: 'arm-cortex-a78', configured: { idleWatts: 50, wattsPerThread: 100 } });
  t.equal(configured.joules, 5 * 100 + 50 * 10);
  t.equal(configured.method, 'cpu-model:arm-cortex-a78+configured');
  t.not(family.joules, configured.joules);
  t.equal(family.method, 'cpu-model:arm-cortex-a78');
  const profile = profileFor('arm-cortex-a78');
  t.equal(family.joules, 5 * profile.activeWattsPerCore + 10 * profile.idleWatts);
  const idleOnly = accountJobEnergy({ wallSeconds: 10, processCpuSeconds: 5, cpuFamily: 'arm-cortex-a78', configured: { idleWatts: 50 } });
  t.equal(idleOnly.joules, 5 * profile.activeWattsPerCore + 10 * 50, 'one figure set: the other stays the family\'s');
});
