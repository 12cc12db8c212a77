// A minimal earshotd for crash tests: the real JobQueue, ModelLifecycle and Scheduler over a
// FrameEnergyRuntime. Prints "started <id> <attempt>", "done <id>", "failed <id>" and "idle".
// argv: queueDir sysfsRoot minRunMs
import { EventBus } from '../../../daemon/bus.js';
import { silentLogger } from '../../../daemon/log/logger.js';
import { JobQueue } from '../../../daemon/scheduler/job-queue.js';
import { ModelLifecycle } from '../../../daemon/scheduler/model-lifecycle.js';
import { Scheduler } from '../../../daemon/scheduler/scheduler.js';
import { StaticCarbonSource } from '../../../daemon/energy/carbon/static-source.js';
import { readCelsius } from '../../../daemon/hardware/thermal.js';
import { FrameEnergyRuntime } from './frame-energy-runtime.js';

const [queueDir = '', sysfsRoot = '', minRunMs = '0'] = process.argv.slice(2);
const say = (line: string): void => void process.stdout.write(line + '\n');
const bus = new EventBus();
const queue = new JobQueue({ dir: queueDir, logger: silentLogger, defaultDeadlineHours: 24, maxAttempts: 3 });
const runtime = new FrameEnergyRuntime(Number(minRunMs), (job) => say(`started ${job.id} ${job.attempts}`));
const lifecycle = new ModelLifecycle(runtime, silentLogger);
const scheduler = new Scheduler({
  queue,
  lifecycle,
  carbon: new StaticCarbonSource(200),
  limits: () => ({ maxThreads: 1, maxConcurrency: 1, powerBudgetWatts: null, thermal: { softC: 70, hardC: 85, hysteresisC: 5 }, minCarbonSaving: 0.05, deadlineSafety: 1.5 }),
  readTemperature: () => readCelsius(sysfsRoot, '/sys/class/thermal/thermal_zone0/temp'),
  power: { idleWatts: 5, wattsPerThread: 4 },
  model: { idleUnloadMs: 60e3, preloadMs: 0 },
  expectedMs: () => 1000,
  bus,
  logger: silentLogger,
  tickMs: 100,
  stopGraceMs: 5000,
});
const owner = {};
bus.on(owner, 'jobDone', ({ job }) => say(`done ${job.id}`));
bus.on(owner, 'jobFailed', ({ job }) => say(`failed ${job.id}`));
bus.on(owner, 'schedulerDecision', () => {
  const c = queue.counts();
  if (c.pending === 0 && c.running === 0) say('idle');
});
await queue.start();
await scheduler.start();
process.on('SIGTERM', () => void scheduler.stop().then(() => queue.stop()).then(() => process.exit(0)));
