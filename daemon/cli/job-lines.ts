import type { JobProgressSummary } from '../scheduler/job-queue.js';
import { describeLateness, type Overdue } from '../scheduler/overdue-jobs.js';

/** "12 segments done, through 1:02:03": how far a running or interrupted job has got. */
export function describeProgress(p: JobProgressSummary, audioSeconds?: number): string {
  // The recording's length, where known, says how far along that is.
  const of = audioSeconds && audioSeconds > 0 ? ` of ${clockTime(audioSeconds)} (${Math.min(100, Math.floor((p.throughSec / audioSeconds) * 100))} %)` : '';
  return `${p.segments} segments done, through ${clockTime(p.throughSec)}${of}`;
}

/** "45 s past its deadline, held by: power budget; …": a pending job that missed its deadline. */
export function describeOverdue(o: Overdue): string {
  return `${describeLateness(o.lateBySec)} past its deadline, held by: ${o.heldBy}`;
}

/** Seconds into a recording as h:mm:ss (or m:ss under an hour). */
function clockTime(sec: number): string {
  const total = Math.floor(sec);
  const [h, m, s] = [Math.floor(total / 3600), Math.floor((total % 3600) / 60), total % 60];
  const two = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${m}:${two(s)}`;
}
