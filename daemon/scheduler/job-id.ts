import { createHash } from 'node:crypto';

/**
 * Job ids are file names in the queue directory, so they must never escape it: letters,
 * digits, ".", "_", "-", at most 128 characters, not starting with "." (no "..", "/", NUL,
 * hidden files).
 */
const JOB_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function validateJobId(id: unknown): string {
  if (typeof id !== 'string' || !JOB_ID.test(id) || id.includes('..')) {
    const shown = typeof id === 'string' ? JSON.stringify(id.replace(/\0/g, '\\0').slice(0, 80)) : String(id);
    throw new Error(`invalid job id ${shown}: use 1–128 letters, digits, ".", "_" or "-", starting with a letter or digit (no "/", "..", or NUL)`);
  }
  return id;
}

/**
 * The id a file gets when the submitter gives none: a hash of its absolute path, size and
 * mtime, so submitting the same file twice is one job (idempotent), while a changed file is
 * a new one.
 */
export function jobIdForFile(absolutePath: string, size: number, mtimeMs: number): string {
  return 'f-' + createHash('sha256').update(`${absolutePath}\0${size}\0${Math.round(mtimeMs)}`).digest('hex').slice(0, 24);
}
