import t from 'tap';
import Energy from '../../daemon/cli/commands/energy.js';
import { EnergyLedger, type EnergyTotals } from '../../daemon/energy/ledger.js';
import { repoRoot, tempDir } from '../helpers/paths.js';
import { captureOutput } from '../scheduler/helpers/capture-stdout.js';
import { runCli } from '../helpers/daemon-process.js';

t.test('earshot energy --since 24h --data-dir reports the ledger totals', async (t) => {
  const dataDir = tempDir();
  const ledger = new EnergyLedger(dataDir);
  const now = Date.now();
  const entry = { method: 'rapl', gPerKWh: 200, intensitySource: 'static (live)' };
  await ledger.record({ ...entry, jobId: 'new', at: new Date(now - 3600e3).toISOString(), joules: 7200, kWh: 0.002, gCO2e: 0.4, source: 'measured' });
  await ledger.record({ ...entry, jobId: 'old', at: new Date(now - 3 * 86400e3).toISOString(), joules: 3600, kWh: 0.001, gCO2e: 0.2, source: 'estimated' });
  const totals: EnergyTotals = await (await captureOutput(() => Energy.run(['--since', '24h', '--data-dir', dataDir, '--json'], repoRoot))).value;
  t.equal(totals.total.jobs, 1);
  t.equal(totals.bySource.measured.kWh, 0.002);
  t.equal(totals.bySource.estimated.jobs, 0);
  const week: EnergyTotals = await (await captureOutput(() => Energy.run(['--since', '7d', '--data-dir', dataDir, '--json'], repoRoot))).value;
  t.equal(week.total.jobs, 2);
  await t.rejects(captureOutput(() => Energy.run(['--since', 'yesterday', '--data-dir', dataDir], repoRoot)), /invalid duration "yesterday"/);
});

t.test('earshot energy text shows a small job in joules and its carbon in significant digits, not as zero', async (t) => {
  const dataDir = tempDir();
  const ledger = new EnergyLedger(dataDir);
  // A 1.11 J job at 200 gCO2e/kWh: 3.08e-7 kWh, 6.17e-5 gCO2e, which four and two decimals made 0.
  const kWh = 1.11 / 3.6e6;
  await ledger.record({ jobId: 'small', at: new Date().toISOString(), joules: 1.11, kWh, gCO2e: kWh * 200, source: 'measured', method: 'rapl', gPerKWh: 200, intensitySource: 'static (live)' });
  await ledger.record({ jobId: 'large', at: new Date().toISOString(), joules: 9e6, kWh: 2.5, gCO2e: 1250, source: 'estimated', method: 'cpu-model:intel-xeon', gPerKWh: 500, intensitySource: 'static (live)' });
  const { stdout } = await captureOutput(() => Energy.run(['--data-dir', dataDir], repoRoot));
  t.match(stdout, /^measured +1 job +1\.11 J +0\.0000617 gCO2e$/m, `the small job is not rounded to 0:\n${stdout}`);
  t.match(stdout, /^estimated +1 job +2\.50 kWh +1\.25 kgCO2e$/m);
  t.match(stdout, /^total +2 jobs +2\.50 kWh +1\.25 kgCO2e$/m);
  const json: EnergyTotals = await (await captureOutput(() => Energy.run(['--data-dir', dataDir, '--json'], repoRoot))).value;
  t.same(json.bySource.measured, { jobs: 1, joules: 1.11, kWh, gCO2e: kWh * 200 }, 'the JSON keeps the figures as recorded');
});

/** `earshot energy` reads the ledger without a daemon: what an operator reads off it. */
t.test('earshot energy says its days are UTC days, counts one job as "job", and names a bad --since', async (t) => {
  const dataDir = tempDir('earshot-energy-cli-');
  const ledger = new EnergyLedger(dataDir);
  const base = { method: 'rapl', gPerKWh: 200, intensitySource: 'static', source: 'measured' as const };
  const hourAgo = new Date(Date.now() - 3600e3).toISOString();
  await ledger.record({ ...base, jobId: 'a', at: hourAgo, joules: 3600, kWh: 0.001, gCO2e: 0.2 });

  const run = await runCli(['energy', '--data-dir', dataDir]);
  t.equal(run.code, 0, run.stderr);
  t.match(run.stdout, /^since \S+Z \(days in UTC\)$/m, 'the days below are UTC days');
  t.match(run.stdout, /^total\s+1 job\s+\S+ \S+\s+\S+ gCO2e$/m, 'one job, singular');
  t.notMatch(run.stdout, /\b1 jobs\b/);

  for (const [args, flag] of [[['energy', '--since', 'yesterday'], '--since'], [['jobs', 'export', '--since', '3 days'], '--since']] as const) {
    const bad = await runCli([...args, '--data-dir', dataDir]);
    t.not(bad.code, 0, `${args.join(' ')} fails`);
    t.match(bad.stderr, new RegExp(`${flag}: invalid duration`), `${args.join(' ')}: the error names ${flag}`);
  }
});
