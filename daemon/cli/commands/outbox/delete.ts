import { Flags } from '@oclif/core';
import { EarshotCommand } from '../../earshot-command.js';
import type { RejectedShelfResult } from '../../../mqtt/outbox/rejected-shelf.js';
import { runShelfAction, shelfArgs, shelfFlags } from '../../shelf-command.js';

export default class OutboxDelete extends EarshotCommand {
  static override summary = 'Delete transcripts kept in outbox/rejected/ for good: by id, all, or those rejected more than N days ago.';
  static override description =
    'They are not delivered then; earshot outbox still counts them among the drops. Done by the running daemon; when none runs, in its data directory, which is then locked for the moment. Exits 1 when an id is not in outbox/rejected/, 2 when not exactly one of ids, --all and --older-than is given.';
  static override enableJsonFlag = true;
  static override strict = false;
  static override args = shelfArgs;
  static override flags = {
    ...shelfFlags,
    'older-than': Flags.integer({ description: 'those rejected more than this many days ago', min: 0 }),
  };
  static override examples = ['<%= config.bin %> outbox delete --older-than 30', '<%= config.bin %> outbox delete 3f2a…', '<%= config.bin %> outbox delete --all'];

  async run(): Promise<RejectedShelfResult & { where: string }> {
    const { argv, flags } = await this.parse(OutboxDelete);
    return runShelfAction(this, 'delete', argv as string[], flags, 'deleted');
  }
}
