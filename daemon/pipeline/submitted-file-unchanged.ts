import { statInputFile } from '../audio/open-input.js';
import { jobIdForFile } from '../scheduler/job-id.js';
import type { TranscriptionJob } from './types.js';

/**
 * An id jobIdForFile made (the submitter gave none): it holds the file's size and mtime at
 * submission. A submitter's own --id says nothing of them; a fleet job's local copy has ids
 * of another form.
 */
const DERIVED_ID = /^f-[0-9a-f]{24}$/;

/**
 * Throws when the file a job was submitted for is not the one there now: overwritten or
 * replaced while it waited or while it was read (an in-place copy over it, a recorder
 * writing it again). Read on, the job would end "done" with a transcript of part of one
 * recording and maybe part of another, under the first one's id; submitted again, the new
 * file is a new job. A file gone is left for the decoder to report.
 */
export async function checkSubmittedFileUnchanged(job: Pick<TranscriptionJob, 'id' | 'path' | 'kind' | 'within' | 'idScope'>): Promise<void> {
  if (job.kind !== 'file' || job.idScope !== undefined || !DERIVED_ID.test(job.id)) return;
  const now = await statInputFile(job.path, job.within ? { within: job.within } : {}).catch(() => undefined);
  if (!now || jobIdForFile(job.path, now.size, now.mtimeMs) === job.id) return;
  throw new Error(
    `${job.path}: the file has changed since it was submitted (now ${now.size} bytes, modified ${new Date(now.mtimeMs).toISOString()}); its transcript would not be of the recording submitted. Submit it again: a changed file is a new job`,
  );
}
