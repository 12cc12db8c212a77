import { Command } from '@oclif/core';

/** An error as oclif hands it to Command.catch: `this.error(msg, { exit })` puts the code in oclif.exit. */
type CommandFailure = Error & { exitCode?: number; oclif?: { exit?: number } };

/**
 * The base of every earshot command. With --json, oclif's Command.catch ends the process with
 * `err.exitCode ?? 1` and ignores the `oclif.exit` that `this.error(…, { exit })` sets, so every
 * documented exit code (3 daemon down, 4 timeout, 78 bad config…) became 1; here the code is
 * copied across first, so scripts get the same codes with and without --json.
 */
export abstract class EarshotCommand extends Command {
  override async catch(err: CommandFailure): Promise<unknown> {
    if (err.exitCode === undefined && typeof err.oclif?.exit === 'number') err.exitCode = err.oclif.exit;
    return super.catch(err);
  }
}
