import { Flags } from '@oclif/core';
import { EarshotCommand } from '../earshot-command.js';
import { daemonFlags, requestDaemon } from '../daemon-flags.js';
import { failCommand } from '../errors.js';
import { DaemonRequestError } from '../../control/client.js';
import { carbonStatus, type CarbonStatus } from '../../energy/carbon/carbon-status.js';
import { createCarbonSource } from '../../energy/carbon/create-source.js';
import { schedulerSection } from '../../scheduler/config.js';
import { localConfig } from '../../scheduler/cli-support.js';
import { silentLogger } from '../../log/logger.js';
import { describeForecast } from '../forecast-text.js';

export default class Carbon extends EarshotCommand {
  static override summary = 'Show the grid carbon intensity now, where it comes from, the forecast and the next low-carbon window.';
  static override description = 'Asks the running daemon; without one (or with --local) it reads the configured source itself (MQTT sources need the daemon).';
  static override enableJsonFlag = true;
  static override examples = ['<%= config.bin %> carbon', '<%= config.bin %> carbon --json', '<%= config.bin %> carbon --local --config /etc/earshot/config.json'];
  static override flags = { ...daemonFlags, local: Flags.boolean({ description: 'do not ask the daemon; read the configured source directly' }) };

  async run(): Promise<CarbonStatus> {
    const { flags } = await this.parse(Carbon);
    let status: CarbonStatus | undefined;
    if (!flags.local) {
      try {
        status = (await requestDaemon('carbon.status', {}, flags, 15_000)) as CarbonStatus;
      } catch (err) {
        if (!(err instanceof DaemonRequestError && err.code === 'not_running')) failCommand(this, err);
      }
    }
    if (!status) {
      try {
        const source = createCarbonSource(schedulerSection(localConfig(flags.config)).carbon, { logger: silentLogger });
        await source.start();
        status = carbonStatus(source, Date.now());
        await source.stop();
      } catch (err) {
        failCommand(this, err);
      }
    }
    const c = status.current;
    this.log(`now       ${c.gPerKWh.toFixed(0)} gCO2e/kWh from ${c.source} (${c.status}, as of ${c.at}${c.note ? `: ${c.note}` : ''})`);
    const w = status.nextLowWindow;
    this.log(w ? `next low  ${w.from} – ${w.to}, mean ${w.meanGPerKWh} gCO2e/kWh (≤ ${w.thresholdGPerKWh})` : 'next low  no forecast to choose from');
    if (status.forecast.length > 1) this.log(`forecast  ${describeForecast(status.forecast.slice(0, 48))}`);
    return status;
  }
}
