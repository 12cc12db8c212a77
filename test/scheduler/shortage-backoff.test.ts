import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/paths.js';
import { LogSink } from '../../daemon/log/logger.js';
import { EventBus } from '../../daemon/bus.js';
import { JobQueue } from '../../daemon/scheduler/job-queue.js';
import { ModelLifecycle } from '../../daemon/scheduler/model-lifecycle.js';
import { Scheduler } from '../../daemon/scheduler/scheduler.js';
import { StaticCarbonSource } from '../../daemon/energy/carbon/static-source.js';
import { FrameEnergyRuntime, writeToneWav } from './helpers/frame-energy-runtime.js';

/**
 * A job that meets a shortage of the box (here EMFILE) is not its own fault: it must not be
 * failed, must not use up its attempts (a restart would then fail it as a crash loop), and
 * must not be started again at once — the scheduler would spin on it, a durable write and a
 * log line each time. It waits 1 s, 2 s, 4 s … and runs once the shortage is over.
 */
t.test('a job that meets a shortage waits longer each time, keeps its attempts, and runs once it ends', async (t) => {
  const dir = tempDir('earshot-shortage-');
  await writeToneWav(join(dir, 'a.wav'), 0.5, [[0.1, 0.2]]);
  let shortage = true;
  let tries = 0;
  const runtime = new FrameEnergyRuntime(0, () => {
    tries++;
    if (shortage) throw Object.assign(new Error('EMFILE: too many open files, open a.wav'), { code: 'EMFILE' });
  });
  const lines: string[] = [];
  const logger = new LogSink({ level: 'warn', format: 'text', write: (line) => void lines.push(line) }).logger('scheduler');
  const bus = new EventBus();
  const queue = new JobQueue({ dir: join(dir, 'queue'), logger, defaultDeadlineHours: 24, maxAttempts: 3 });
  const scheduler = new Scheduler({
    queue,
    lifecycle: new ModelLifecycle(runtime, logger),
    carbon: new StaticCarbonSource(150),
    limits: () => ({ maxThreads: 2, maxConcurrency: 1, powerBudgetWatts: null, thermal: { softC: 70, hardC: 85, hysteresisC: 5 }, minCarbonSaving: 0.05, deadlineSafety: 1.5 }),
    readTemperature: async () => undefined,
    power: { idleWatts: 4.5, wattsPerThread: 1.2 },
    model: { idleUnloadMs: 3600e3, preloadMs: 0 },
    expectedMs: () => 100,
    bus,
    logger,
    tickMs: 20,
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

  await queue.submit({ id: 'j1', input: join(dir, 'a.wav'), priority: 'interactive' });
  scheduler.poke();
  await new Promise((r) => setTimeout(r, 2500));
  t.ok(tries >= 2 && tries <= 3, `tried ${tries} times in 2.5 s (at once, after 1 s, after 2 s more), not in a loop`);
  t.same(failed, [], 'not failed');
  const onDisk = JSON.parse(readFileSync(join(dir, 'queue', 'pending', 'j1.json'), 'utf8')) as { attempts: number };
  t.equal(onDisk.attempts, 0, 'the tries did not count as attempts on disk');
  t.match(lines.join('\n'), /job postponed: out of a resource \(EMFILE\); it runs again in 1 s[^]*runs again in 2 s/, 'each postponement says when it runs again');

  shortage = false;
  const until = Date.now() + 8000;
  while (!done.includes('j1') && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  t.same(done, ['j1'], 'done once the shortage is over');
});
