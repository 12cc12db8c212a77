import { Flags } from '@oclif/core';
import { EarshotCommand } from '../../earshot-command.js';
import { daemonFlags, requestDaemon } from '../../daemon-flags.js';
import { failCommand } from '../../errors.js';
import { describeOverdue, describeProgress } from '../../job-lines.js';
import type { JobSummary } from '../../../scheduler/control-handlers.js';
import { oneLine } from '../../../one-line.js';

interface ListResult {
  jobs: JobSummary[];
  counts: { pending: number; running: number; done: number; failed: number };
  /** Recordings in spool folders not read yet (absent from daemons before it was added). */
  recordingsWaiting?: number;
}

export default class JobsList extends EarshotCommand {
  static override summary = 'List jobs in the queue: running, pending (with deadlines; one past its deadline says what holds it), done and failed (with the error).';
  static override enableJsonFlag = true;
  static override examples = ['<%= config.bin %> jobs list', '<%= config.bin %> jobs list --state pending --json', '<%= config.bin %> jobs list --state failed --limit 0'];
  static override flags = {
    ...daemonFlags,
    state: Flags.string({ description: 'only jobs in this state', options: ['pending', 'running', 'done', 'failed', 'all'], default: 'all' }),
    limit: Flags.integer({ description: 'at most this many done and this many failed jobs, the most recently finished (0: all that are kept); pending and running jobs are always all listed', min: 0, default: 100 }),
  };

  async run(): Promise<ListResult> {
    const { flags } = await this.parse(JobsList);
    let r: ListResult;
    try {
      r = (await requestDaemon('jobs.list', { state: flags.state, ...(flags.limit > 0 ? { limit: flags.limit } : {}) }, flags, 30_000)) as ListResult;
    } catch (err) {
      failCommand(this, err);
    }
    for (const j of r.jobs) {
      const progress = j.progress ? `  ${describeProgress(j.progress, j.audioSeconds)}` : '';
      const due = j.overdue ? 'OVERDUE' : 'due';
      this.log(`${j.id}  ${j.state.padEnd(7)} ${j.priority.padEnd(11)} ${due} ${j.deadline}  tries ${j.attempts}  ${oneLine(j.recording !== undefined ? `${j.recording} (${j.input})` : j.input)}${progress}`);
      // On lines of their own: an error names a file and a cause, the reasons a job is held are as long.
      if (j.error !== undefined) this.log(`    error: ${oneLine(j.error)}`);
      if (j.overdue) this.log(`    overdue: ${describeOverdue(j.overdue)}`);
    }
    const unread = r.recordingsWaiting ? `; ${r.recordingsWaiting} recording${r.recordingsWaiting === 1 ? '' : 's'} in spool folders not read yet` : '';
    this.log(`${r.counts.running} running, ${r.counts.pending} pending, ${r.counts.done} done, ${r.counts.failed} failed${unread}`);
    const shown = (state: string) => r.jobs.filter((j) => j.state === state).length;
    const left = (['done', 'failed'] as const).filter((s) => (flags.state === 'all' || flags.state === s) && r.counts[s] > shown(s));
    if (left.length > 0) this.log(`(the ${flags.limit} most recently finished of the ${left.map((s) => `${r.counts[s]} ${s}`).join(' and ')} shown; --limit 0 lists all)`);
    return r;
  }
}

