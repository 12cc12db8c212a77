import { CRON_HINT, cronProblem } from '../energy/carbon/schedule-source.js';
import type { SchedulerConfig } from '../scheduler/config.js';
import { thermalProblems } from '../scheduler/thermal-rules.js';
import type { ConfigIssue } from './errors.js';

/**
 * The scheduler's settings that only make sense together: the thermal limits (throttling
 * starts above softC, batch work pauses above hardC, work resumes at softC − hysteresisC)
 * and the carbon schedule's cron windows (with source schedule). Without these checks `earshot config validate`
 * and `earshotd --check` passed a config the daemon then ran with its limits inverted, or
 * refused at start with exit 1 (a cron node-cron refuses).
 */
export function schedulerIssues(scheduler: SchedulerConfig): ConfigIssue[] {
  // Windows are read only by the schedule source: another source's config starts as before.
  const windows = scheduler.carbon.source === 'schedule' ? scheduler.carbon.schedule : [];
  return [...thermalIssues(scheduler.thermal), ...scheduleIssues(windows)];
}

/** The thermal rules (thermal-rules.ts), each broken one at its config key. */
function thermalIssues(limits: SchedulerConfig['thermal']): ConfigIssue[] {
  return thermalProblems(limits, (limit) => limit).map((p) => ({ path: `scheduler.thermal.${p.limit}`, message: p.message, hint: p.hint }));
}

function scheduleIssues(windows: Array<{ cron: string }>): ConfigIssue[] {
  return windows.flatMap((w, i) => {
    const problem = cronProblem(w.cron);
    return problem === undefined ? [] : [{ path: `scheduler.carbon.schedule[${i}].cron`, message: problem, hint: CRON_HINT }];
  });
}
