import type { Command } from '@oclif/core';
import { ConfigError } from '../config/errors.js';
import { DaemonRequestError } from '../control/client.js';

/** Ends a command with a message and a hint users can act on; exits 78 for config problems. */
export function failCommand(command: Command, err: unknown): never {
  if (err instanceof ConfigError) {
    command.error(`invalid configuration in ${err.source}:\n${err.lines().join('\n')}`, { exit: 78, suggestions: ['fix the lines above; `earshot config validate FILE` checks a file'] });
  }
  if (err instanceof DaemonRequestError) {
    command.error(err.message, { exit: err.code === 'not_running' ? 3 : 1, code: err.code, ...(err.hint ? { suggestions: [err.hint] } : {}) });
  }
  command.error(err instanceof Error ? err.message : String(err), { exit: 1 });
}
