import { Args } from '@oclif/core';
import { EarshotCommand } from '../../earshot-command.js';
import { daemonFlags, requestDaemon } from '../../daemon-flags.js';
import { failCommand } from '../../errors.js';
import type { RetryResult } from '../../../scheduler/control-handlers.js';

export default class JobsRetry extends EarshotCommand {
  static override summary = 'Put failed jobs back in the queue, to run again with their tries counted from 0.';
  static override description =
    'For a failure mended since (ffmpeg installed, a permission fixed): submitting the same file again only finds its id already known. A deadline already past becomes the default one from now. A job whose audio is gone (a saved live or spool segment is removed when its job fails) is refused. Exits 1 when any id was refused.';
  static override enableJsonFlag = true;
  static override strict = false;
  static override examples = ['<%= config.bin %> jobs retry f-3a9c0d1e2b4f5a6b7c8d9e0f', '<%= config.bin %> jobs list --state failed --limit 0 --json | jq -r \'.jobs[].id\' | xargs <%= config.bin %> jobs retry'];
  static override args = { ids: Args.string({ description: 'failed job ids (earshot jobs list --state failed)', required: true }) };
  static override flags = { ...daemonFlags };

  async run(): Promise<RetryResult> {
    const { argv, flags } = await this.parse(JobsRetry);
    let result: RetryResult;
    try {
      result = (await requestDaemon('jobs.retry', { ids: argv as string[] }, flags, 30_000)) as RetryResult;
    } catch (err) {
      failCommand(this, err);
    }
    for (const r of result.retried) this.log(`${r.id}  pending  (deadline ${r.deadline})`);
    for (const e of result.errors) this.logToStderr(`${e.id}  refused: ${e.error}`);
    if (result.errors.length > 0) process.exitCode = 1;
    return result;
  }
}
