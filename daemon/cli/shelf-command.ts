import { Args, Flags, type Command } from '@oclif/core';
import type { RejectedSelection, RejectedShelfResult } from '../mqtt/outbox/rejected-shelf.js';
import { daemonFlags, type DaemonTarget } from './daemon-flags.js';
import { failCommand } from './errors.js';
import { onRejectedShelf, type ShelfAction } from './rejected-shelf-action.js';

/** The arguments and flags earshot outbox requeue and delete share. */
export const shelfArgs = { ids: Args.string({ description: 'ids of rejected transcripts (earshot outbox rejected)' }) };
export const shelfFlags = {
  ...daemonFlags,
  all: Flags.boolean({ description: 'every rejected transcript', default: false }),
};

/**
 * Runs a requeue or a delete of what the ids and flags name (exit 2 when they name nothing, or
 * more than one way), prints one line per transcript, and exits 1 when an id was not found or
 * failed.
 */
export async function runShelfAction(
  command: Command,
  action: ShelfAction,
  ids: string[],
  flags: { all: boolean; 'older-than'?: number | undefined } & DaemonTarget,
  done: string,
): Promise<RejectedShelfResult & { where: string }> {
  const ways = [ids.length > 0, flags.all, flags['older-than'] !== undefined].filter(Boolean).length;
  if (ways !== 1) command.error('name the rejected transcripts one way: ids, --all' + (action === 'delete' ? ' or --older-than DAYS' : ''), { exit: 2, suggestions: ['earshot outbox rejected lists them'] });
  const sel: RejectedSelection = flags.all ? { all: true } : flags['older-than'] !== undefined ? { olderThanDays: flags['older-than'] } : { ids };
  let result: RejectedShelfResult & { where: string };
  try {
    result = await onRejectedShelf(action, sel, flags);
  } catch (err) {
    failCommand(command, err);
  }
  for (const id of result.done) command.log(`${id}  ${done}`);
  for (const id of result.missing) command.logToStderr(`${id}  not found in outbox/rejected/`);
  for (const e of result.errors) command.logToStderr(`${e.id}  failed: ${e.error}`);
  if (result.done.length === 0 && result.missing.length === 0 && result.errors.length === 0) command.log('no rejected transcripts to ' + action);
  if (result.missing.length > 0 || result.errors.length > 0) process.exitCode = 1;
  return result;
}
