import t from 'tap';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesDir, tempDir } from '../helpers/paths.js';
import { silentLogger } from '../../daemon/log/logger.js';
import { EventBus } from '../../daemon/bus.js';
import { JobQueue } from '../../daemon/scheduler/job-queue.js';
import { ModelLifecycle } from '../../daemon/scheduler/model-lifecycle.js';
import { Scheduler } from '../../daemon/scheduler/scheduler.js';
import { StaticCarbonSource } from '../../daemon/energy/carbon/static-source.js';
import { listThermalSensors, pickSchedulerSensor, readCelsius } from '../../daemon/hardware/thermal.js';
import { FrameEnergyRuntime, writeToneWav } from './helpers/frame-energy-runtime.js';

const until = async (what: string, cond: () => boolean, ms = 10_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

t.test('above the hard limit batch pauses and the model unloads; below soft − hysteresis it resumes', async (t) => {
  const dir = tempDir('earshot-thermal-');
  const root = join(dir, 'orin');
  cpSync(join(fixturesDir, 'sysfs', 'jetson-orin'), root, { recursive: true });
  const sensor = pickSchedulerSensor(await listThermalSensors(root));
  t.equal(sensor?.label, 'cpu-thermal', 'the probe picks a CPU sensor on the Orin');
  const sensorFile = join(root, sensor?.path ?? '');
  const setTemp = (c: number): void => writeFileSync(sensorFile, `${Math.round(c * 1000)}\n`);
  for (const n of [1, 2, 3, 4]) await writeToneWav(join(dir, `${n}.wav`), 0.5, [[0.1, 0.2]]);

  const bus = new EventBus();
  const queue = new JobQueue({ dir: join(dir, 'queue'), logger: silentLogger, defaultDeadlineHours: 24, maxAttempts: 3 });
  const runtime = new FrameEnergyRuntime(50);
  const lifecycle = new ModelLifecycle(runtime, silentLogger);
  const scheduler = new Scheduler({
    queue,
    lifecycle,
    carbon: new StaticCarbonSource(150),
    limits: () => ({ maxThreads: 4, maxConcurrency: 2, powerBudgetWatts: null, thermal: { softC: 70, hardC: 85, hysteresisC: 5 }, minCarbonSaving: 0.05, deadlineSafety: 1.5 }),
    readTemperature: () => readCelsius(root, sensor?.path ?? ''),
    power: { idleWatts: 4.5, wattsPerThread: 1.2 },
    model: { idleUnloadMs: 3600e3, preloadMs: 0 },
    expectedMs: () => 500,
    bus,
    logger: silentLogger,
    tickMs: 40,
  });
  const states: string[] = [];
  const done: string[] = [];
  bus.on(t, 'thermalState', (e) => states.push(`${e.state}@${e.temperatureC}`));
  bus.on(t, 'jobDone', (e) => done.push(e.job.id));
  await queue.start();
  await scheduler.start();
  t.teardown(async () => {
    await scheduler.stop();
    await queue.stop();
  });

  setTemp(50);
  await queue.submit({ id: 'j1', input: join(dir, '1.wav'), priority: 'batch' });
  scheduler.poke();
  await until('j1 done', () => done.includes('j1'));
  t.equal(lifecycle.state, 'loaded');

  setTemp(90);
  await until('hard state', () => scheduler.thermalState === 'hard');
  for (const n of [2, 3, 4]) await queue.submit({ id: `j${n}`, input: join(dir, `${n}.wav`), priority: 'batch' });
  scheduler.poke();
  await until('model unloaded', () => lifecycle.state === 'unloaded');
  t.equal(runtime.unloadCount, 1);
  t.equal(lifecycle.telemetry().lastUnloadReason, 'thermal hard limit');
  t.equal(lifecycle.telemetry().residentBytes, 0);
  await new Promise((r) => setTimeout(r, 300));
  t.same(done, ['j1'], 'batch stays paused while hot');
  t.equal(scheduler.state().state, 'paused');

  setTemp(67); // below soft (70) but not by the 5 °C hysteresis
  await new Promise((r) => setTimeout(r, 300));
  t.equal(scheduler.thermalState, 'hard');
  t.same(done, ['j1'], 'still paused inside the hysteresis band');

  setTemp(64);
  await until('all done', () => done.length === 4);
  t.equal(scheduler.thermalState, 'normal');
  t.equal(lifecycle.state, 'loaded', 'reloaded on demand');
  t.equal(runtime.loadCount, 2);
  t.same(states, ['hard@90', 'normal@64']);
});
