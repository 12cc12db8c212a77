import { ConfigFileError } from './config/errors.js';

/**
 * Format versions of the JSON state earshotd keeps under dataDir (budget overrides, plugin
 * choices, the energy ledger, outbox drop counters, segment sidecars, finished job records,
 * fleet offers and results). Each is written with a `format` field; one without was written
 * before formats existed and is format 1. A newer format was written by a later release (a
 * rollback): this one would misread it, or write it over with what it knows, so it is never
 * read as if it were one this release knows. The field is added beside the others, never
 * wrapping them, so that releases from before it read the file as they always did.
 */
export const STATE_FORMAT = 1;

/** A state file or record in a format this release does not know. */
export class NewerFormatError extends Error {
  constructor(
    readonly file: string,
    readonly format: number,
  ) {
    super(`${file} is in format ${format}, written by a newer earshotd; this one reads format ${STATE_FORMAT} at most`);
    this.name = 'NewerFormatError';
  }
}

/**
 * Checks the `format` of `value`, parsed from `file`: absent is format 1; a newer one throws
 * NewerFormatError, and one that is not a whole number from 1 throws an Error naming it.
 */
export function checkFormat(value: unknown, file: string): void {
  const format = typeof value === 'object' && value !== null ? (value as { format?: unknown }).format : undefined;
  if (format === undefined) return;
  if (typeof format !== 'number' || !Number.isInteger(format) || format < 1) throw new Error(`${file}: format is ${JSON.stringify(format)}, not a version number (1, 2, ...)`);
  if (format > STATE_FORMAT) throw new NewerFormatError(file, format);
}

/** `value` as written to disk: with this release's format first. */
export function withFormat<T extends object>(value: T): { format: number } & T {
  return { format: STATE_FORMAT, ...value };
}

/**
 * For state the whole daemon runs on (one file, not one item among many): a newer one
 * refuses the start, exit 78 as for a bad config, since a restart cannot mend it. `holds`
 * says what moving the file away loses.
 */
export function refuseNewerState(err: unknown, holds: string): unknown {
  if (!(err instanceof NewerFormatError)) return err;
  return new ConfigFileError(`${err.message}. Start that release again (upgrade), or move the file away to start this one without it (it holds ${holds}); the file is left as it is`);
}

/** checkFormat for state the whole daemon runs on: a newer format refuses the start (refuseNewerState). */
export function checkStateFormat(value: unknown, file: string, holds: string): void {
  try {
    checkFormat(value, file);
  } catch (err) {
    throw refuseNewerState(err, holds);
  }
}
