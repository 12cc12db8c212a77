/**
 * A running job gave way (the daemon stopping, the thermal hard limit): it is not finished
 * and not at fault. The scheduler puts it back in the queue without counting the try, and
 * its next run resumes from the progress it saved (the segments it had finished).
 */
export class JobInterrupted extends Error {
  constructor(readonly jobId: string, readonly segmentsDone: number) {
    super(`job ${jobId} interrupted after ${segmentsDone} finished segment(s)`);
    this.name = 'JobInterrupted';
  }
}

export function isJobInterrupted(err: unknown): err is JobInterrupted {
  return err instanceof JobInterrupted;
}
