import { existsSync } from 'node:fs';
import { Flags, type Command } from '@oclif/core';
import { loadConfig } from '../config/load.js';
import { DEFAULT_CONFIG_FILE } from './daemon-flags.js';
import { failCommand } from './errors.js';
import { outboxDirIn } from '../mqtt/outbox/outbox-store.js';

/** The flags of the commands that read the outbox directly (earshot outbox, outbox rejected). */
export const outboxDirFlags = {
  config: Flags.string({ char: 'c', description: 'config file (for dataDir)', env: 'EARSHOT_CONFIG' }),
  'data-dir': Flags.string({ description: 'state directory holding outbox/ (wins over the config)' }),
};

/** `<dataDir>/outbox`: --data-dir, else the config's dataDir (a bad config ends the command, exit 78). */
export function outboxDirOf(command: Command, flags: { config?: string | undefined; 'data-dir'?: string | undefined }): string {
  let dataDir = flags['data-dir'];
  if (!dataDir) {
    try {
      const file = flags.config ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
      dataDir = loadConfig({ file, env: process.env }).dataDir;
    } catch (err) {
      failCommand(command, err);
    }
  }
  return outboxDirIn(dataDir);
}
