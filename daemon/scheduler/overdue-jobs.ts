import type { JobRecord } from './job-queue.js';
import type { PolicyDecision } from './policy.js';

/**
 * A pending job whose deadline has passed: how late it is and what holds it. A job held
 * back (the power budget, the thermal limit) misses its deadline without failing: without
 * this the operator saw it `pending`, its due time in the past, and nothing said why.
 */
export interface Overdue {
  lateBySec: number;
  /** Why it is not running: the policy's reason for deferring it, and the decision's reasons. */
  heldBy: string;
}

/** Why a pending job is not running, from the scheduler's last decision. */
export function whyHeld(decision: PolicyDecision | undefined, id: string, retrying: boolean): string {
  if (retrying) return 'waiting to be tried again after a shortage of the box (see the log)';
  if (!decision) return 'the scheduler has not decided yet';
  const deferred = decision.defer.find((d) => d.id === id)?.reason;
  // "power budget" says less than the decision's "power budget 3 W is below idle + …": only the longer one.
  const said = deferred === undefined || decision.reasons.some((r) => r.startsWith(deferred));
  const why = said ? decision.reasons : [deferred, ...decision.reasons];
  return why.length > 0 ? why.join('; ') : 'not yet started';
}

/** The job's lateness, when it is pending and its deadline has passed. */
export function overdue(job: JobRecord, nowMs: number, heldBy: (id: string) => string): Overdue | undefined {
  const lateMs = nowMs - Date.parse(job.deadline);
  return lateMs > 0 ? { lateBySec: Math.round(lateMs / 1000), heldBy: heldBy(job.id) } : undefined;
}

/** "45 s", "12 min", "3.5 h", "2.0 d": lateness at a glance. */
export function describeLateness(sec: number): string {
  if (sec < 120) return `${sec} s`;
  if (sec < 2 * 3600) return `${Math.round(sec / 60)} min`;
  if (sec < 2 * 86400) return `${(sec / 3600).toFixed(1)} h`;
  return `${(sec / 86400).toFixed(1)} d`;
}

/** Pending jobs past their deadline, each said once (per daemon run) when it first is. */
export class OverdueWarnings {
  private readonly warned = new Set<string>();

  /**
   * The held jobs newly past their deadline. `queued` are the ids still in the queue (pending
   * or running): the others are forgotten, so a job retried after it failed may be said again.
   */
  newlyOverdue(held: JobRecord[], queued: ReadonlySet<string>, nowMs: number): JobRecord[] {
    for (const id of this.warned) if (!queued.has(id)) this.warned.delete(id);
    const fresh = held.filter((j) => Date.parse(j.deadline) < nowMs && !this.warned.has(j.id));
    for (const j of fresh) this.warned.add(j.id);
    return fresh;
  }
}
