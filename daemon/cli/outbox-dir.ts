import { Flags, type Command } from '@oclif/core';
import { dataDirFlags, dataDirOf } from '../scheduler/cli-support.js';
import { failCommand } from './errors.js';
import { outboxDirIn } from '../mqtt/outbox/outbox-store.js';

/** The flags of the commands that read the outbox directly (earshot outbox, outbox rejected). */
export const outboxDirFlags = {
  ...dataDirFlags,
  'data-dir': Flags.string({ description: 'state directory holding outbox/ (wins over the config)' }),
};

/** `<dataDir>/outbox`: --data-dir, else the config's dataDir (a bad config ends the command, exit 78). */
export function outboxDirOf(command: Command, flags: { config?: string | undefined; 'data-dir'?: string | undefined }): string {
  try {
    return outboxDirIn(dataDirOf(flags));
  } catch (err) {
    failCommand(command, err);
  }
}
