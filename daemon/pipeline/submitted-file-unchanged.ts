import { statInputFile } from '../audio/open-input.js';
import type { TranscriptionJob } from './types.js';

/**
 * An id jobIdForFile made (the submitter gave none). A submitter's own --id may name a
 * recording that is written again on purpose; a fleet job's local copy has ids of another form.
 */
const DERIVED_ID = /^f-[0-9a-f]{24}$/;

type CheckedJob = Pick<TranscriptionJob, 'id' | 'path' | 'kind' | 'within' | 'idScope'>;

/** The file as a run found it at its start. */
export interface FileSeen {
  size: number;
  mtimeMs: number;
}

/**
 * What the file of a job submitted without --id is at its run's start, for the check at the
 * run's end; undefined where nothing is checked. Not held against the file as submitted (its
 * id holds that size and mtime): a relocated or restored file, a share reporting mtimes at
 * another granularity, a `touch`, and a file mended for `earshot jobs retry` all differ from
 * it with the same recording in place, and would fail a job that reads right.
 */
export async function fileAtStart(job: CheckedJob): Promise<FileSeen | undefined> {
  if (job.kind !== 'file' || job.idScope !== undefined || !DERIVED_ID.test(job.id)) return undefined;
  const now = await statInputFile(job.path, job.within ? { within: job.within } : {}).catch(() => undefined);
  return now ? { size: now.size, mtimeMs: now.mtimeMs } : undefined;
}

/**
 * Throws when the file changed while its job read it (overwritten in place, replaced): read
 * on, the job would end "done" with a transcript of parts of two recordings under the first
 * one's id (a one-hour recording overwritten mid-job gave its first 16 minutes and nothing
 * more). A file gone is left for the decoder to report.
 */
export async function checkFileUnchangedSince(job: CheckedJob, seen: FileSeen | undefined): Promise<void> {
  if (seen === undefined) return;
  const now = await statInputFile(job.path, job.within ? { within: job.within } : {}).catch(() => undefined);
  if (now && (now.size !== seen.size || now.mtimeMs !== seen.mtimeMs)) {
    throw new Error(
      `${job.path}: the file has changed while it was read (now ${now.size} bytes, modified ${new Date(now.mtimeMs).toISOString()}); its transcript would be of parts of two recordings. Submit it again: a changed file is a new job`,
    );
  }
}
