import { Args, Flags } from '@oclif/core';
import { EarshotCommand } from '../../earshot-command.js';
import { daemonFlags, requestDaemon } from '../../daemon-flags.js';
import { failCommand } from '../../errors.js';
import { ProgressBar } from '../../../scheduler/cli-support.js';
import { parseDurationFlag } from '../../duration-flag.js';
import type { JobSummary } from '../../../scheduler/control-handlers.js';

type States = Record<string, string>;

/** Some job waited for failed, or was never known: a script must not take the batch as done. */
const EXIT_JOBS_FAILED = 5;

export default class JobsWait extends EarshotCommand {
  static override summary = 'Wait until jobs finish (all pending and running ones, or the ids given), with a progress bar.';
  static override description =
    'Exits 0 when every job waited for is done; 5 when any failed or has an unknown id (`earshot jobs get ID` shows why it failed); 4 when --timeout passes first; 3 when the daemon is not running.';
  static override enableJsonFlag = true;
  static override strict = false;
  static override examples = ['<%= config.bin %> jobs wait', '<%= config.bin %> jobs wait f-3a9c0d1e2b4f5a6b7c8d9e0f --timeout 2h'];
  static override args = { id: Args.string({ description: 'job ids (default: every pending or running job)' }) };
  static override flags = {
    ...daemonFlags,
    timeout: Flags.string({ description: 'give up after this long (30m, 6h); exit 4', default: '24h' }),
    interval: Flags.integer({ description: 'seconds between checks', default: 2, min: 1 }),
  };

  async run(): Promise<{ states: States }> {
    const { argv, flags } = await this.parse(JobsWait);
    let ids = argv as string[];
    let deadline: number;
    try {
      deadline = Date.now() + parseDurationFlag('--timeout', flags.timeout);
      if (ids.length === 0) {
        const r = (await requestDaemon('jobs.list', { state: 'all' }, flags, 30_000)) as { jobs: JobSummary[] };
        ids = r.jobs.filter((j) => j.state === 'pending' || j.state === 'running').map((j) => j.id);
      }
    } catch (err) {
      failCommand(this, err);
    }
    const bar = new ProgressBar('waiting', ids.length);
    let states: States = {};
    for (;;) {
      try {
        states = ((await requestDaemon('jobs.get', { ids }, flags, 30_000)) as { states: States }).states;
      } catch (err) {
        bar.finish();
        failCommand(this, err);
      }
      const finished = ids.filter((id) => states[id] === 'done' || states[id] === 'failed' || states[id] === 'unknown');
      bar.update(finished.length, `${ids.filter((id) => states[id] === 'running').length} running`);
      if (finished.length === ids.length) break;
      if (Date.now() > deadline) {
        bar.finish();
        this.error(`${ids.length - finished.length} of ${ids.length} jobs still unfinished after ${flags.timeout}`, { exit: 4, suggestions: ['`earshot jobs list` shows what is left; `earshot status` shows why the scheduler holds work back (temperature, the power budget)'] });
      }
      await new Promise((r) => setTimeout(r, flags.interval * 1000));
    }
    bar.finish();
    const failed = ids.filter((id) => states[id] === 'failed');
    const unknown = ids.filter((id) => states[id] === 'unknown');
    this.log(`${ids.length - failed.length - unknown.length} done, ${failed.length} failed${unknown.length ? `, ${unknown.length} unknown ids: ${unknown.join(' ')}` : ''}`);
    if (failed.length > 0 || unknown.length > 0) {
      // An exit code, not this.error: with --json the states are still the output.
      if (failed.length > 0) this.logToStderr(`failed: ${failed.join(' ')}\n  hint: \`earshot jobs get ID\` shows why`);
      process.exitCode = EXIT_JOBS_FAILED;
    }
    return { states };
  }
}
