import { Args, Flags } from '@oclif/core';
import { EarshotCommand } from '../../earshot-command.js';
import { daemonFlags, requestDaemon } from '../../daemon-flags.js';
import { failCommand } from '../../errors.js';
import { expandAudioPaths, ProgressBar } from '../../../scheduler/cli-support.js';
import type { SubmitResult } from '../../../scheduler/control-handlers.js';
import type { OfferResult } from '../../../pipeline/fleet-bridge.js';
import { oneLine } from '../../../one-line.js';

const BATCH = 200;
const OFFER_BATCH = 20;

export default class JobsSubmit extends EarshotCommand {
  static override summary = 'Queue audio files (or every audio file under a directory) for transcription.';
  static override description = 'Each job is on disk before this returns. Submitting the same unchanged file again is the same job. Batch jobs run in the cleanest window before their deadline.';
  static override enableJsonFlag = true;
  static override strict = false;
  static override examples = ['<%= config.bin %> jobs submit meeting.wav', '<%= config.bin %> jobs submit /srv/recordings --deadline 6h', '<%= config.bin %> jobs submit call.wav --priority interactive --json', '<%= config.bin %> jobs submit /srv/recordings --fleet'];
  static override args = { path: Args.string({ description: 'audio file or directory (several allowed)', required: true }) };
  static override flags = {
    ...daemonFlags,
    deadline: Flags.string({ description: 'finish within this long (6h, 2d) or by this ISO 8601 time; default from config (24 h)' }),
    priority: Flags.string({ description: 'live, interactive or batch', options: ['live', 'interactive', 'batch'], default: 'batch' }),
    id: Flags.string({ description: 'job id to use (single file only); default: derived from the file' }),
    fleet: Flags.boolean({
      description: 'offer each file to this box\'s fleet group (mqtt.fleet) instead of queueing it here: whichever box has budget transcribes it; files up to 16 MiB',
      exclusive: ['deadline', 'priority', 'id'],
      default: false,
    }),
  };

  async run(): Promise<SubmitResult & { offered?: OfferResult['offered'] }> {
    const { argv, flags } = await this.parse(JobsSubmit);
    const { files, problems } = await expandAudioPaths(argv as string[]);
    if (files.length === 0) this.error(problems.length > 0 ? problems.join('\n') : 'no audio files found', { exit: 1, suggestions: ['give .wav/.flac/.mp3/.ogg/.opus/.m4a files or directories holding them'] });
    if (flags.fleet) return this.offer(files, problems, flags);
    const all: SubmitResult = { submitted: [], errors: problems.map((p) => ({ path: p.split(':')[0] ?? p, error: p })) };
    const bar = new ProgressBar('submitting', files.length);
    try {
      for (let i = 0; i < files.length; i += BATCH) {
        const params = { paths: files.slice(i, i + BATCH), priority: flags.priority, ...(flags.deadline ? { deadline: flags.deadline } : {}), ...(flags.id ? { id: flags.id } : {}) };
        const r = (await requestDaemon('jobs.submit', params, flags, 60_000)) as SubmitResult;
        all.submitted.push(...r.submitted);
        all.errors.push(...r.errors);
        if (files.length > BATCH) bar.update(Math.min(files.length, i + BATCH));
      }
    } catch (err) {
      bar.finish();
      failCommand(this, err);
    }
    bar.finish();
    const created = all.submitted.filter((s) => s.created).length;
    for (const s of all.submitted) this.log(`${s.id}  ${s.state.padEnd(7)} ${s.created ? 'queued' : 'already known'}  due ${s.deadline}  ${oneLine(s.input)}`);
    for (const e of all.errors) this.warn(`${e.path}: ${e.error}`);
    this.log(`${created} queued, ${all.submitted.length - created} already known, ${all.errors.length} refused`);
    if (all.submitted.length === 0) {
      // Say why in the error itself: with --json the warnings above are not printed.
      const reasons = all.errors.map((e) => `${e.path}: ${e.error}`).join('; ');
      this.error(`nothing was queued${reasons ? `: ${reasons}` : ''}`, { exit: 1, suggestions: ['fix the files named above and submit again'] });
    }
    return all;
  }

  /**
   * `--fleet`: the daemon offers each file to its group (jobs.offer); results are kept on the
   * offering box (`jobs.offers`). The JSON keeps the local shape: nothing `submitted` here,
   * the jobs are under `offered`.
   */
  private async offer(files: string[], problems: string[], flags: Parameters<typeof requestDaemon>[2]): Promise<SubmitResult & OfferResult> {
    const all: OfferResult = { offered: [], errors: problems.map((p) => ({ path: p.split(':')[0] ?? p, error: p })) };
    const bar = new ProgressBar('offering', files.length);
    try {
      // Smaller batches than a local submit: each file's audio is read and published by the daemon.
      for (let i = 0; i < files.length; i += OFFER_BATCH) {
        const r = (await requestDaemon('jobs.offer', { paths: files.slice(i, i + OFFER_BATCH) }, flags, 60_000)) as OfferResult;
        all.offered.push(...r.offered);
        all.errors.push(...r.errors);
        if (files.length > OFFER_BATCH) bar.update(Math.min(files.length, i + OFFER_BATCH));
      }
    } catch (err) {
      bar.finish();
      failCommand(this, err);
    }
    bar.finish();
    const created = all.offered.filter((s) => s.created).length;
    for (const s of all.offered) this.log(`${s.id}  ${s.state.padEnd(7)} ${s.created ? 'offered to the fleet' : 'already known'}  ${oneLine(s.input)}`);
    for (const e of all.errors) this.warn(`${e.path}: ${e.error}`);
    this.log(`${created} offered, ${all.offered.length - created} already known, ${all.errors.length} refused`);
    if (all.offered.length === 0) this.error('nothing was offered', { exit: 1, suggestions: ['see the reasons above'] });
    return { submitted: [], ...all };
  }
}
