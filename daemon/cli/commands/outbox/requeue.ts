import { EarshotCommand } from '../../earshot-command.js';
import type { RejectedShelfResult } from '../../../mqtt/outbox/rejected-shelf.js';
import { runShelfAction, shelfArgs, shelfFlags } from '../../shelf-command.js';

export default class OutboxRequeue extends EarshotCommand {
  static override summary = 'Put transcripts from outbox/rejected/ back into the outbox, to be published again (once the broker takes their size).';
  static override description =
    'Raise the broker limit first (Mosquitto: max_packet_size, or message_size_limit for those rejected with reasonCode 0x95), and mqtt.maxPacketBytes if set, or they are set aside again. Each is published once, with its own id and payload. Done by the running daemon; when none runs, in its data directory, which is then locked for the moment. Exits 1 when an id is not in outbox/rejected/, 2 when no ids or --all are given, 3 with --site when the site does not answer.';
  static override enableJsonFlag = true;
  static override strict = false;
  static override args = shelfArgs;
  static override flags = shelfFlags;
  static override examples = ['<%= config.bin %> outbox requeue 3f2a…', '<%= config.bin %> outbox requeue --all'];

  async run(): Promise<RejectedShelfResult & { where: string }> {
    const { argv, flags } = await this.parse(OutboxRequeue);
    return runShelfAction(this, 'requeue', argv as string[], flags, 'back in the outbox');
  }
}
