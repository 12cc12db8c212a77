import { Flags } from '@oclif/core';
import { EarshotCommand } from '../earshot-command.js';
import { failCommand } from '../errors.js';
import { EnergyLedger, type EnergyTotals } from '../../energy/ledger.js';
import { parseDurationFlag } from '../duration-flag.js';
import { dataDirFlags, dataDirOf } from '../../scheduler/cli-support.js';
import { describeCarbon, describeEnergy } from '../energy-units.js';

export default class Energy extends EarshotCommand {
  static override summary = 'Energy (J, Wh or kWh) and carbon (gCO2e) of the transcription work, per day and per source (measured or estimated).';
  static override description = 'Reads the ledger under the data directory; works without the daemon. The text shows each figure in the unit that fits it, to three significant digits; --json gives joules, kWh and gCO2e unrounded.';
  static override enableJsonFlag = true;
  static override examples = ['<%= config.bin %> energy', '<%= config.bin %> energy --since 7d --json'];
  static override flags = {
    since: Flags.string({ description: 'how far back: 90m, 24h, 7d, 4w', default: '24h' }),
    ...dataDirFlags,
  };

  async run(): Promise<EnergyTotals> {
    const { flags } = await this.parse(Energy);
    let totals: EnergyTotals;
    try {
      const span = parseDurationFlag('--since', flags.since);
      const dataDir = dataDirOf(flags);
      totals = await new EnergyLedger(dataDir).totals(Date.now() - span);
    } catch (err) {
      failCommand(this, err);
    }
    const line = (label: string, b: { jobs: number; joules: number; gCO2e: number }): string => `${label.padEnd(12)} ${String(b.jobs).padStart(6)} ${b.jobs === 1 ? 'job ' : 'jobs'} ${describeEnergy(b.joules).padStart(10)} ${describeCarbon(b.gCO2e).padStart(16)}`;
    // The ledger's days are UTC days, whatever the box's time zone.
    this.log(`since ${totals.since} (days in UTC)`);
    for (const d of totals.byDay) this.log(line(d.day, d) + `   (measured ${d.bySource.measured.jobs}, estimated ${d.bySource.estimated.jobs})`);
    this.log(line('measured', totals.bySource.measured));
    this.log(line('estimated', totals.bySource.estimated));
    this.log(line('total', totals.total));
    return totals;
  }
}
