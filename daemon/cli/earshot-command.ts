import { Command, ux } from '@oclif/core';
import { terminalSafe, terminalSafeJson } from './terminal-safe.js';

/** An error as oclif hands it to Command.catch: `this.error(msg, { exit })` puts the code in oclif.exit. */
type CommandFailure = Error & { exitCode?: number; oclif?: { exit?: number } };

/**
 * The base of every earshot command. With --json, oclif's Command.catch ends the process with
 * `err.exitCode ?? 1` and ignores the `oclif.exit` that `this.error(…, { exit })` sets, so every
 * documented exit code (3 daemon down, 4 timeout, 78 bad config…) became 1; here the code is
 * copied across first, so scripts get the same codes with and without --json.
 */
export abstract class EarshotCommand extends Command {
  // Every line a command prints goes through terminalSafe (terminal-safe.ts); --json output
  // through terminalSafeJson, as oclif's logJson prints it otherwise.
  override log(message = '', ...args: unknown[]): void {
    super.log(terminalSafe(message), ...args);
  }

  override logToStderr(message = '', ...args: unknown[]): void {
    super.logToStderr(terminalSafe(message), ...args);
  }

  override warn(input: Error | string): Error | string {
    return super.warn(typeof input === 'string' ? terminalSafe(input) : Object.assign(input, { message: terminalSafe(input.message) }));
  }

  protected override logJson(json: unknown): void {
    ux.stdout(terminalSafeJson(ux.colorizeJson(json, { pretty: true, theme: this.config.theme?.json })));
  }

  override async catch(err: CommandFailure): Promise<unknown> {
    if (err.exitCode === undefined && typeof err.oclif?.exit === 'number') err.exitCode = err.oclif.exit;
    return super.catch(err);
  }
}
