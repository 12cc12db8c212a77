import { Flags } from '@oclif/core';
import { EarshotCommand } from '../earshot-command.js';
import type { StatusResult } from '../../control/methods.js';
import { daemonFlags, requestDaemon } from '../daemon-flags.js';
import { failCommand } from '../errors.js';
import { oneLine } from '../../one-line.js';

/** `--check` when the daemon runs with a problem: apart from 1 (failed) and 3 (not running). */
const UNHEALTHY_EXIT = 6;

export default class Status extends EarshotCommand {
  static override summary = 'Show whether the daemon is up, its uptime, version, site and components, and what is wrong, if anything is.';
  static override description =
    'A problem is something an operator should mend: a source that failed or a live command whose runs end without audio, a model that cannot be loaded, a required plugin that is not running, a broker out of reach or refusing transcripts, batch work paused at the thermal hard limit (the box\'s cooling needs a look; throttling at the soft limit is no problem) a thermal sensor that cannot be read, or a carbon feed that has not been live for an hour (batch work scheduled on an old value or the static default). With --check (for monitoring) it exits 6 when there is one; it always exits 3 when the daemon is not running.';
  static override enableJsonFlag = true;
  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status --json', '<%= config.bin %> status --check', '<%= config.bin %> status --socket /tmp/earshot/control.sock'];
  static override flags = {
    ...daemonFlags,
    check: Flags.boolean({ description: 'exit 6 when any component has a problem (the daemon runs, but something needs mending)' }),
  };

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
    // An older daemon does not say; only this one's answer has `problems`.
    const problems = status.problems ?? [];
    if (problems.length > 0) this.log(`problems:\n${problems.map((p) => `  ${oneLine(p)}`).join('\n')}`);
    // An exit code, not this.error: with --json the status is still the output.
    if (flags.check && problems.length > 0) process.exitCode = UNHEALTHY_EXIT;
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
