import { CRON_HINT, cronProblem } from '../energy/carbon/schedule-source.js';
import type { SchedulerConfig } from '../scheduler/config.js';
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

function thermalIssues({ softC, hardC, hysteresisC }: SchedulerConfig['thermal']): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (hardC <= softC) {
    issues.push({ path: 'scheduler.thermal.hardC', message: `(${hardC} °C) must be above softC (${softC} °C)`, hint: 'the box is throttled above softC and batch work pauses above hardC; raise hardC or lower softC' });
  }
  if (hysteresisC >= softC) {
    issues.push({ path: 'scheduler.thermal.hysteresisC', message: `(${hysteresisC} °C) must be below softC (${softC} °C)`, hint: 'work resumes once the box is softC − hysteresisC; a few degrees is usual (default 5)' });
  }
  return issues;
}

function scheduleIssues(windows: Array<{ cron: string }>): ConfigIssue[] {
  return windows.flatMap((w, i) => {
    const problem = cronProblem(w.cron);
    return problem === undefined ? [] : [{ path: `scheduler.carbon.schedule[${i}].cron`, message: problem, hint: CRON_HINT }];
  });
}
