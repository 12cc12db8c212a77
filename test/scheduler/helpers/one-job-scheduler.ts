import type { Test } from 'tap';
import { join } from 'node:path';
import { EventBus } from '../../../daemon/bus.js';
import type { Logger } from '../../../daemon/log/logger.js';
import { JobQueue } from '../../../daemon/scheduler/job-queue.js';
import { ModelLifecycle, type ModelRuntime } from '../../../daemon/scheduler/model-lifecycle.js';
import { Scheduler, type SchedulerOptions } from '../../../daemon/scheduler/scheduler.js';
import { StaticCarbonSource } from '../../../daemon/energy/carbon/static-source.js';

/**
 * A started queue and scheduler under `dir` for tests of one job at a time: a static grid,
 * no power cap, no temperature, a 2-thread box, one job at once. Tests pass what they are
 * about in `overrides`; both are stopped at teardown (a test may stop them sooner).
 */
export async function startOneJobScheduler(t: Test, o: { dir: string; runtime: ModelRuntime; logger: Logger }, overrides: Partial<SchedulerOptions> = {}) {
  const bus = new EventBus();
  const queue = new JobQueue({ dir: join(o.dir, 'queue'), logger: o.logger, defaultDeadlineHours: 24, maxAttempts: 3 });
  const scheduler = new Scheduler({
    queue,
    lifecycle: new ModelLifecycle(o.runtime, o.logger),
    carbon: new StaticCarbonSource(150),
    limits: () => ({ maxThreads: 2, maxConcurrency: 1, powerBudgetWatts: null, thermal: { softC: 70, hardC: 85, hysteresisC: 5 }, minCarbonSaving: 0.05, deadlineSafety: 1.5 }),
    readTemperature: async () => undefined,
    power: { idleWatts: 4.5, wattsPerThread: 1.2 },
    model: { idleUnloadMs: 3600e3, preloadMs: 0 },
    expectedMs: () => 100,
    bus,
    logger: o.logger,
    tickMs: 20,
    stopGraceMs: 5000,
    ...overrides,
  });
  const done: string[] = [];
  const failed: string[] = [];
  bus.on(t, 'jobDone', (e) => done.push(e.job.id));
  bus.on(t, 'jobFailed', (e) => failed.push(e.job.id));
  await queue.start();
  await scheduler.start();
  t.teardown(async () => {
    await scheduler.stop();
    await queue.stop();
  });
  return { bus, queue, scheduler, done, failed };
}
