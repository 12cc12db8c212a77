import t from 'tap';
import { runCli } from '../helpers/daemon-process.js';
import { tempDir } from '../helpers/paths.js';
import { EnergyLedger } from '../../daemon/energy/ledger.js';

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
