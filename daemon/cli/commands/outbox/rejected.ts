import { EarshotCommand } from '../../earshot-command.js';
import { listRejected, type RejectedShelfListing } from '../../../mqtt/outbox/rejected-shelf.js';
import { outboxDirFlags, outboxDirOf } from '../../outbox-dir.js';

export default class OutboxRejected extends EarshotCommand {
  static override summary = 'List the transcripts set aside in outbox/rejected/ because the broker refuses their size: id, size, when, why.';
  static override description =
    'Reads <dataDir>/outbox/rejected directly, so it works whether or not the daemon runs. Reasons: too-large (over the maximum packet size the broker announced or mqtt.maxPacketBytes, or refused by an MQTT 5 broker as too large, reasonCode 0x95, as Mosquitto answers over its message_size_limit), connection-closed (an MQTT 3.1.1 broker closed the connection each time it was sent). Once the broker takes them, put them back with earshot outbox requeue; or remove them with earshot outbox delete. Exits 1 when a file there cannot be read.';
  static override enableJsonFlag = true;
  static override flags = outboxDirFlags;
  static override examples = ['<%= config.bin %> outbox rejected', '<%= config.bin %> outbox rejected --json | jq -r \'.rejected[].id\''];

  async run(): Promise<RejectedShelfListing> {
    const { flags } = await this.parse(OutboxRejected);
    const dir = outboxDirOf(this, flags);
    let listing: RejectedShelfListing;
    try {
      listing = listRejected(dir);
    } catch (err) {
      this.error(`cannot read ${dir}/rejected: ${(err as Error).message}`, { exit: 1, suggestions: ['run as the earshot user or with sudo; check --data-dir'] });
    }
    if (listing.rejected.length === 0) this.log(`no rejected transcripts in ${listing.dir}`);
    for (const r of listing.rejected) {
      const detail = Object.entries(r.detail).map(([k, v]) => `${k}=${v}`).join(' ');
      this.log(`${r.id}  ${r.bytes} bytes  rejected ${r.rejectedAt}  ${r.reason}${detail ? ` (${detail})` : ''}  ${r.topic}`);
    }
    for (const u of listing.unreadable) this.logToStderr(`unreadable: ${u.error}`);
    if (listing.unreadable.length > 0) process.exitCode = 1;
    return listing;
  }
}
