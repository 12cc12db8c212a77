import t from 'tap';
import Energy from '../../daemon/cli/commands/energy.js';
import { EnergyLedger, type EnergyTotals } from '../../daemon/energy/ledger.js';
import { repoRoot, tempDir } from '../helpers/paths.js';
import { captureOutput } from '../scheduler/helpers/capture-stdout.js';

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
