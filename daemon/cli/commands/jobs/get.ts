import { Args } from '@oclif/core';
import { EarshotCommand } from '../../earshot-command.js';
import { daemonFlags, requestDaemon } from '../../daemon-flags.js';
import { failCommand } from '../../errors.js';
import { describeOverdue, describeProgress } from '../../job-lines.js';
import type { JobDetail } from '../../../scheduler/control-handlers.js';
import { oneLine } from '../../../one-line.js';

export default class JobsGet extends EarshotCommand {
  static override summary = "Show one job's record: state, input, deadline, what a pending job waits for (past its deadline: how late), tries, progress, and a failed job's error.";
  static override description = 'Finished jobs are kept for scheduler.retention.doneDays (done) and failedDays (failed); `earshot jobs export` gives the transcripts of done ones.';
  static override enableJsonFlag = true;
  static override examples = ['<%= config.bin %> jobs get f-3a9c0d1e2b4f5a6b7c8d9e0f', '<%= config.bin %> jobs get f-3a9c0d1e2b4f5a6b7c8d9e0f --json'];
  static override args = { id: Args.string({ description: 'job id (earshot jobs list)', required: true }) };
  static override flags = { ...daemonFlags };

  async run(): Promise<JobDetail> {
    const { args, flags } = await this.parse(JobsGet);
    let job: JobDetail;
    try {
      job = (await requestDaemon('jobs.show', { id: args.id }, flags, 30_000)) as JobDetail;
    } catch (err) {
      failCommand(this, err);
    }
    const rows: Array<[string, string | undefined]> = [
      ['state', job.state],
      ['input', job.input],
      ['recording', job.recording],
      ['source', job.sourceId],
      ['audio', job.audioSeconds !== undefined ? `${job.audioSeconds.toFixed(1)} s` : undefined],
      ['priority', job.priority],
      ['submitted', job.submittedAt],
      ['deadline', job.deadline],
      ['overdue', job.overdue ? describeOverdue(job.overdue) : undefined],
      ['waiting', job.waiting],
      ['tries', String(job.attempts)],
      ['progress', job.progress ? describeProgress(job.progress, job.audioSeconds) : undefined],
      ['finished', job.finishedAt],
      ['error', job.error],
    ];
    this.log(job.id);
    // A file's name and an error quote what came from outside: each row stays one line.
    for (const [name, value] of rows) if (value !== undefined) this.log(`  ${name.padEnd(10)} ${oneLine(value)}`);
    return job;
  }
}
