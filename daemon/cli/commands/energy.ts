import { Flags } from '@oclif/core';
import { EarshotCommand } from '../earshot-command.js';
import { failCommand } from '../errors.js';
import { EnergyLedger, LEDGER_MONTHS, type EnergyTotals } from '../../energy/ledger.js';
import { parseDurationFlag } from '../duration-flag.js';
import { dataDirFlags, dataDirOf } from '../../scheduler/cli-support.js';
import { describeCarbon, describeEnergy } from '../energy-units.js';

export default class Energy extends EarshotCommand {
  static override summary = 'Energy (J, Wh or kWh) and carbon (gCO2e) of the transcription work, per day and per source (measured or estimated).';
  static override description = 'Reads the ledger under the data directory; works without the daemon. The text shows each figure in the unit that fits it, to three significant digits; --json gives joules, kWh and gCO2e unrounded.';
  static override enableJsonFlag = true;
  static override examples = ['<%= config.bin %> energy', '<%= config.bin %> energy --since 7d --json', '<%= config.bin %> energy --month 2026-10'];
  static override flags = {
    since: Flags.string({ description: 'how far back: 90m, 24h, 7d, 4w (default 24h)' }),
    month: Flags.string({ description: `a calendar month in UTC, YYYY-MM, instead of --since: its days and totals, as for a monthly report (the ledger keeps ${LEDGER_MONTHS} months)` }),
    ...dataDirFlags,
  };

  async run(): Promise<EnergyTotals> {
    const { flags } = await this.parse(Energy);
    if (flags.since !== undefined && flags.month !== undefined) this.error('--since and --month pick the span two ways: give one', { exit: 2 });
    let totals: EnergyTotals;
    try {
      const [sinceMs, untilMs] = flags.month !== undefined ? monthSpan(flags.month) : [Date.now() - parseDurationFlag('--since', flags.since ?? '24h'), Date.now()];
      const ledger = new EnergyLedger(dataDirOf(flags));
      const keptFrom = flags.month !== undefined ? await ledger.keptFrom() : undefined;
      // A month the ledger no longer holds would be reported as zeros, in a report someone files.
      if (keptFrom !== undefined && flags.month! < keptFrom) {
        throw new Error(`--month ${flags.month}: the ledger keeps only the ${LEDGER_MONTHS} months from ${keptFrom} on; older months' figures are deleted`);
      }
      totals = await ledger.totals(sinceMs, untilMs);
    } catch (err) {
      failCommand(this, err);
    }
    const line = (label: string, b: { jobs: number; joules: number; gCO2e: number }): string => `${label.padEnd(12)} ${String(b.jobs).padStart(6)} ${b.jobs === 1 ? 'job ' : 'jobs'} ${describeEnergy(b.joules).padStart(10)} ${describeCarbon(b.gCO2e).padStart(16)}`;
    // The ledger's days are UTC days, whatever the box's time zone.
    this.log(flags.month !== undefined ? `month ${flags.month} (days in UTC)` : `since ${totals.since} (days in UTC)`);
    for (const d of totals.byDay) this.log(line(d.day, d) + `   (measured ${d.bySource.measured.jobs}, estimated ${d.bySource.estimated.jobs})`);
    this.log(line('measured', totals.bySource.measured));
    this.log(line('estimated', totals.bySource.estimated));
    this.log(line('total', totals.total));
    return totals;
  }
}

/** The first and last millisecond of a UTC calendar month given as YYYY-MM. */
function monthSpan(month: string): [number, number] {
  const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month);
  if (!m) throw new Error(`--month: expected a month as YYYY-MM (e.g. 2026-10), got ${JSON.stringify(month)}`);
  const year = Number(m[1]);
  const index = Number(m[2]) - 1;
  return [Date.UTC(year, index, 1), Date.UTC(year, index + 1, 1) - 1];
}
