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

t.test('earshot energy --month gives one UTC calendar month, its first and last millisecond included', async (t) => {
  const dataDir = tempDir('earshot-energy-month-');
  const ledger = new EnergyLedger(dataDir);
  const base = { method: 'rapl', gPerKWh: 200, intensitySource: 'static', source: 'measured' as const, joules: 3600, kWh: 0.001, gCO2e: 0.2 };
  for (const [jobId, at] of [['before', '2026-09-30T23:59:59.999Z'], ['first', '2026-10-01T00:00:00.000Z'], ['last', '2026-10-31T23:59:59.999Z'], ['after', '2026-11-01T00:00:00.000Z']]) {
    await ledger.record({ ...base, jobId: jobId!, at: at! });
  }
  const json = await runCli(['energy', '--month', '2026-10', '--json', '--data-dir', dataDir]);
  t.equal(json.code, 0, json.stderr);
  const totals = JSON.parse(json.stdout) as EnergyTotals;
  t.equal(totals.total.jobs, 2, 'the two jobs of October');
  t.same(totals.byDay.map((d) => d.day), ['2026-10-01', '2026-10-31']);
  t.equal(totals.since, '2026-10-01T00:00:00.000Z');
  t.equal(totals.until, '2026-10-31T23:59:59.999Z');

  const text = await runCli(['energy', '--month', '2026-10', '--data-dir', dataDir]);
  t.match(text.stdout, /^month 2026-10 \(days in UTC\)$/m);
  t.match(text.stdout, /^total\s+2 jobs\s/m);

  const bad = await runCli(['energy', '--month', '2026-13', '--data-dir', dataDir]);
  t.equal(bad.code, 1);
  t.match(bad.stderr, /--month: expected a month as YYYY-MM \(e\.g\. 2026-10\), got "2026-13"/);
  const both = await runCli(['energy', '--month', '2026-10', '--since', '7d', '--data-dir', dataDir]);
  t.equal(both.code, 2, 'a span given two ways is a usage error');
  t.match(both.stderr, /--since and --month pick the span two ways/);
});

t.test('earshot energy --month refuses a month the ledger no longer keeps, rather than report it as zeros', async (t) => {
  const dataDir = tempDir('earshot-energy-kept-');
  const ledger = new EnergyLedger(dataDir);
  const base = { method: 'rapl', gPerKWh: 200, intensitySource: 'static', source: 'measured' as const, joules: 3600, kWh: 0.001, gCO2e: 0.2 };
  await ledger.record({ ...base, jobId: 'a-year-before', at: '2025-10-15T12:00:00.000Z' });
  // The first job of a month a year and a month later: October 2025 leaves the ledger.
  await ledger.record({ ...base, jobId: 'now', at: '2026-11-02T12:00:00.000Z' });
  const gone = await runCli(['energy', '--month', '2025-10', '--data-dir', dataDir]);
  t.equal(gone.code, 1, gone.stdout);
  // As one line: oclif wraps the message at the terminal's width, with a › on each line.
  t.match(gone.stderr.replace(/\s*\n\s*›\s*/g, ' '), /--month 2025-10: the ledger keeps only the 13 months from 2025-11 on; older months' figures are deleted/);
  t.notMatch(gone.stdout, /total/, 'no zeros to file');
  const oldestKept = await runCli(['energy', '--month', '2025-11', '--json', '--data-dir', dataDir]);
  t.equal(oldestKept.code, 0, oldestKept.stderr);
  t.equal((JSON.parse(oldestKept.stdout) as EnergyTotals).total.jobs, 0, 'the oldest month kept is reported, with no jobs in it');
});
