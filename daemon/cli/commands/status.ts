import { EarshotCommand } from '../earshot-command.js';
import type { StatusResult } from '../../control/methods.js';
import { daemonFlags, requestDaemon } from '../daemon-flags.js';
import { failCommand } from '../errors.js';

export default class Status extends EarshotCommand {
  static override summary = 'Show whether the daemon is up, its uptime, version, site and components.';
  static override enableJsonFlag = true;
  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status --json', '<%= config.bin %> status --socket /tmp/earshot/control.sock'];
  static override flags = { ...daemonFlags };

  async run(): Promise<StatusResult> {
    const { flags } = await this.parse(Status);
    let status: StatusResult;
    try {
      status = (await requestDaemon('status', {}, flags, 10_000)) as StatusResult;
    } catch (err) {
      failCommand(this, err);
    }
    this.log(`earshotd ${status.version} on site "${status.site}": up ${formatDuration(status.uptimeSec)} (pid ${status.pid})`);
    for (const c of status.components) this.log(`  ${c.name.padEnd(12)} ${c.state}${c.detail ? `  ${c.detail}` : ''}`);
    return status;
  }
}

function formatDuration(seconds: number): string {
  const s = Math.floor(seconds);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return [d ? `${d}d` : '', h ? `${h}h` : '', m ? `${m}m` : '', `${s % 60}s`].filter(Boolean).join(' ');
}
