import { Args, Flags } from '@oclif/core';
import { EarshotCommand } from '../../earshot-command.js';
import { daemonFlags, requestDaemon } from '../../daemon-flags.js';
import { failCommand } from '../../errors.js';
import { ProgressBar } from '../../../scheduler/cli-support.js';
import { parseDurationFlag } from '../../duration-flag.js';
import type { JobSummary } from '../../../scheduler/control-handlers.js';

type States = Record<string, string>;
type Counts = { done: number; failed: number };

/** Some job waited for failed, or was never known: a script must not take the batch as done. */
const EXIT_JOBS_FAILED = 5;

export default class JobsWait extends EarshotCommand {
  static override summary = 'Wait until jobs finish (all pending and running ones, or the ids given), with a progress bar.';
  static override description =
    'Without ids it also waits for the recordings in spool folders that are not read yet, and for the jobs made from them and submitted meanwhile (live speech excepted), until none is left: run it after copying a batch into a spool folder (those still being copied in as NAME.part, NAME.tmp, .NAME.XXXXXX (rsync) or .syncthing.NAME.tmp, and written to in the last 10 minutes, included; a file dropped after its last check is not waited for). Exits 0 when every job waited for is done; 5 when any failed or has an unknown id (`earshot jobs get ID` shows why it failed); 4 when --timeout passes first; 3 when the daemon is not running.';
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
    // Without ids: everything there is to do, recordings not read yet included.
    const everything = ids.length === 0;
    let unread = 0;
    const seen = new Set<string>();
    /**
     * The queue's count of jobs done and failed (live speech left out) at the start and now: a
     * job made and finished between two looks is counted by them. A daemon of an earlier
     * release gives only the counts of every record kept, live speech's included.
     */
    let counts: { first?: Counts; now?: Counts } = {};
    /** The daemon's queue now: its jobs; the counts and the recordings not read yet are kept. */
    const readQueue = async () => {
      const r = (await requestDaemon('jobs.list', { state: 'all', limit: 1 }, flags, 30_000)) as { jobs: JobSummary[]; counts: Counts; finishedSinceOpen?: Counts; recordingsWaiting?: number };
      unread = r.recordingsWaiting ?? 0;
      const finished = r.finishedSinceOpen ?? r.counts;
      counts = { first: counts.first ?? finished, now: finished };
      return r.jobs;
    };
    /** Adds the unfinished jobs the daemon lists now (at the start all of them; later none of live speech, which never ends). */
    const look = async (first: boolean) => {
      for (const j of await readQueue()) {
        if ((j.state !== 'pending' && j.state !== 'running') || seen.has(j.id) || (!first && j.priority === 'live')) continue;
        seen.add(j.id);
        ids.push(j.id);
      }
    };
    let deadline: number;
    try {
      deadline = Date.now() + parseDurationFlag('--timeout', flags.timeout);
      if (everything) {
        await look(true);
        // What it found to wait for, said at once: the bar shows jobs only, and none may exist yet.
        this.logToStderr(`waiting for ${ids.length} job${ids.length === 1 ? '' : 's'}${unread > 0 ? ` and ${unread} recording${unread === 1 ? '' : 's'} in spool folders not read yet` : ''}`);
      }
    } catch (err) {
      failCommand(this, err);
    }
    const bar = new ProgressBar('waiting', ids.length);
    let states: States = {};
    for (;;) {
      try {
        if (everything) await look(false);
        states = ((await requestDaemon('jobs.get', { ids }, flags, 30_000)) as { states: States }).states;
      } catch (err) {
        bar.finish();
        failCommand(this, err);
      }
      const finished = ids.filter((id) => states[id] === 'done' || states[id] === 'failed' || states[id] === 'unknown');
      bar.setTotal(ids.length);
      bar.update(finished.length, `${ids.filter((id) => states[id] === 'running').length} running${unread > 0 ? `, ${unread} recordings not read yet` : ''}`);
      if (finished.length === ids.length && unread === 0) break;
      if (Date.now() > deadline) {
        bar.finish();
        this.error(`${ids.length - finished.length} of ${ids.length} jobs still unfinished${unread > 0 ? ` and ${unread} recordings in spool folders not read yet` : ''} after ${flags.timeout}`, { exit: 4, suggestions: ['`earshot jobs list` shows what is left; `earshot status` shows why the scheduler holds work back (temperature, the power budget)'] });
      }
      await new Promise((r) => setTimeout(r, flags.interval * 1000));
    }
    bar.finish();
    // The queue's counts once more, now that all is finished: those of the last look were
    // taken before the jobs it listed finished, and a job made and done between two looks is
    // in those counts alone, so neither the ids nor the last counts held every job (a batch of
    // 120 said "118 done" now and then).
    if (everything) await readQueue().catch(() => undefined);
    const failed = ids.filter((id) => states[id] === 'failed');
    const unknown = ids.filter((id) => states[id] === 'unknown');
    const { first, now } = counts;
    if (everything && first && now) {
      // Jobs of short recordings may come and go between two looks: the queue's own counts say how many finished.
      const failedMeanwhile = Math.max(failed.length, now.failed - first.failed);
      this.log(`${Math.max(ids.length - failed.length, now.done - first.done)} done, ${failedMeanwhile} failed`);
      if (failedMeanwhile > failed.length) this.logToStderr(`${failedMeanwhile - failed.length} failed between two checks: \`earshot jobs list --state failed\` lists them`);
      if (failedMeanwhile > 0) process.exitCode = EXIT_JOBS_FAILED;
    } else this.log(`${ids.length - failed.length - unknown.length} done, ${failed.length} failed${unknown.length ? `, ${unknown.length} unknown ids: ${unknown.join(' ')}` : ''}`);
    if (failed.length > 0 || unknown.length > 0) {
      // An exit code, not this.error: with --json the states are still the output.
      if (failed.length > 0) this.logToStderr(`failed: ${failed.join(' ')}\n  hint: \`earshot jobs get ID\` shows why`);
      process.exitCode = EXIT_JOBS_FAILED;
    }
    return { states };
  }
}
