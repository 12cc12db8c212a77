import { Flags } from '@oclif/core';
import { EarshotCommand } from '../../earshot-command.js';
import { daemonFlags, requestDaemon } from '../../daemon-flags.js';
import { failCommand } from '../../errors.js';
import type { FleetOffersList } from '../../../pipeline/fleet-bridge.js';
import { oneLine } from '../../../one-line.js';

/** Transcripts are cut to this many characters in the table; --json has them whole. */
const TEXT_WIDTH = 60;

export default class JobsOffers extends EarshotCommand {
  static override summary = 'List the jobs this box has offered to its fleet group (jobs submit --fleet): outstanding ones and their results.';
  static override description =
    'Outstanding offers are "waiting" on disk until the audio already out in the group falls below mqtt.fleet.maxOutstandingBytes, then "out" until a member of the group returns a result. Finished ones show which box took them and the transcript or the error. The results are kept on this box.';
  static override enableJsonFlag = true;
  static override examples = ['<%= config.bin %> jobs offers', '<%= config.bin %> jobs offers --state done --json', '<%= config.bin %> jobs offers --socket /run/earshot/control.sock'];
  static override flags = {
    ...daemonFlags,
    state: Flags.string({ description: 'only outstanding offers, or only finished ones', options: ['outstanding', 'done', 'all'], default: 'all' }),
  };

  async run(): Promise<FleetOffersList> {
    const { flags } = await this.parse(JobsOffers);
    let r: FleetOffersList;
    try {
      r = (await requestDaemon('jobs.offers', {}, flags, 30_000)) as FleetOffersList;
    } catch (err) {
      failCommand(this, err);
    }
    const shown: FleetOffersList = {
      outstanding: flags.state === 'done' ? [] : r.outstanding,
      done: flags.state === 'outstanding' ? [] : r.done,
    };
    for (const o of shown.outstanding) this.log(`${o.id}  ${o.state.padEnd(7)} round ${o.round}  offered ${o.offeredAt}  ${oneLine(o.input)}`);
    for (const d of shown.done) {
      const what = d.status === 'ok' ? JSON.stringify(clip(d.text ?? '')) : `error: ${d.error ?? 'unknown'}`;
      this.log(`${d.id}  ${d.status === 'ok' ? 'done   ' : 'failed '} by ${oneLine(d.takenBy)}  ${oneLine(d.input)}  ${oneLine(what)}`);
    }
    const out = r.outstanding.filter((o) => o.state === 'out').length;
    const failed = r.done.filter((d) => d.status === 'error').length;
    this.log(`${r.outstanding.length} outstanding (${out} out in the group, ${r.outstanding.length - out} waiting), ${r.done.length} finished (${failed} failed)`);
    return shown;
  }
}

function clip(text: string): string {
  return text.length <= TEXT_WIDTH ? text : `${text.slice(0, TEXT_WIDTH - 1)}…`;
}
