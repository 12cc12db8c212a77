import t, { type Test } from 'tap';
import { cpSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesDir, tempDir } from '../helpers/paths.js';
import { LogSink, silentLogger, type Logger } from '../../daemon/log/logger.js';
import { EventBus } from '../../daemon/bus.js';
import { JobQueue } from '../../daemon/scheduler/job-queue.js';
import { ModelLifecycle } from '../../daemon/scheduler/model-lifecycle.js';
import { Scheduler } from '../../daemon/scheduler/scheduler.js';
import { StaticCarbonSource } from '../../daemon/energy/carbon/static-source.js';
import { listThermalSensors, pickSchedulerSensor, readCelsius } from '../../daemon/hardware/thermal.js';
import { FrameEnergyRuntime, writeToneWav } from './helpers/frame-energy-runtime.js';
import { RELOAD_DRAIN_AFTER_MS } from '../../daemon/scheduler/policy.js';

const until = async (what: string, cond: () => boolean, ms = 10_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

/**
 * A scheduler over a copy of the Orin's sysfs: its CPU sensor is a real file the test writes
 * (or removes), read through readCelsius as on the box.
 */
async function orinScheduler(t: Test, logger: Logger = silentLogger) {
  const dir = tempDir('earshot-thermal-');
  const root = join(dir, 'orin');
  cpSync(join(fixturesDir, 'sysfs', 'jetson-orin'), root, { recursive: true });
  const sensor = pickSchedulerSensor(await listThermalSensors(root));
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
    logger,
    tickMs: 40,
    stopGraceMs: 5000,
  });
  const done: string[] = [];
  bus.on(t, 'jobDone', (e) => done.push(e.job.id));
  await queue.start();
  await scheduler.start();
  t.teardown(async () => {
    await scheduler.stop();
    await queue.stop();
  });
  const submit = async (n: number) => {
    await queue.submit({ id: `j${n}`, input: join(dir, `${n}.wav`), priority: 'batch' });
    scheduler.poke();
  };
  return { dir, sensor, sensorFile, setTemp, bus, runtime, lifecycle, scheduler, done, submit, queue };
}

t.test('above the hard limit batch pauses and the model unloads; below soft − hysteresis it resumes', async (t) => {
  const { sensor, setTemp, bus, runtime, lifecycle, scheduler, done, submit } = await orinScheduler(t);
  t.equal(sensor?.label, 'cpu-thermal', 'the probe picks a CPU sensor on the Orin');
  const states: string[] = [];
  bus.on(t, 'thermalState', (e) => states.push(`${e.state}@${e.temperatureC}`));

  setTemp(50);
  await submit(1);
  await until('j1 done', () => done.includes('j1'));
  t.equal(lifecycle.state, 'loaded');

  setTemp(90);
  await until('hard state', () => scheduler.thermalState === 'hard');
  for (const n of [2, 3, 4]) await submit(n);
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

t.test('at the hard limit a running batch job is interrupted, uncounted, and runs again once cool', async (t) => {
  const lines: string[] = [];
  const logger = new LogSink({ level: 'info', format: 'text', write: (l) => void lines.push(l) }).logger('scheduler');
  const { setTemp, runtime, lifecycle, scheduler, done, submit, queue, bus } = await orinScheduler(t, logger);
  const interrupted: unknown[] = [];
  bus.on(t, 'jobInterrupted', (e) => interrupted.push({ id: e.job.id, stopping: e.stopping, reason: e.reason }));
  setTemp(50);
  runtime.minRunMs = 60_000; // an hour-long recording, as far as the scheduler can tell
  await submit(1);
  await until('j1 running', () => queue.running().length === 1);

  setTemp(90);
  await until('j1 interrupted', () => queue.running().length === 0, 5000);
  t.same(done, [], 'not done');
  t.equal((await queue.get('j1'))?.state, 'pending', 'back in the queue, not failed');
  t.equal((await queue.get('j1'))?.job.attempts, 0, 'the try is not counted');
  t.match(lines.join('\n'), /interrupting running job at its next safe point: thermal hard limit.*id=j1/);
  t.match(lines.join('\n'), /job interrupted at the thermal hard limit; it resumes where it stopped once the box has cooled.*id=j1/);
  await until('the interrupt event', () => interrupted.length > 0, 5000);
  t.same(interrupted, [{ id: 'j1', stopping: false, reason: 'thermal hard limit' }], 'the event says why (a taken fleet job is handed back for it)');
  await until('model unloaded', () => lifecycle.state === 'unloaded', 5000);
  await new Promise((r) => setTimeout(r, 300));
  t.equal(queue.running().length, 0, 'not started again while hot');

  runtime.minRunMs = 50;
  setTemp(60);
  await until('j1 done once cool', () => done.includes('j1'));
});

t.test('a sensor that read and then fails (removed, or nonsense) throttles as at the soft limit, or stays paused past the hard one, with a warning', async (t) => {
  const lines: string[] = [];
  const logger = new LogSink({ level: 'info', format: 'text', write: (l) => void lines.push(l) }).logger('scheduler');
  const { sensorFile, setTemp, scheduler, done, submit } = await orinScheduler(t, logger);

  // Cool, then nonsense: throttled, not left running unthrottled.
  setTemp(50);
  await until('a first reading', () => scheduler.temperatureC === 50);
  writeFileSync(sensorFile, '2147483647\n');
  await until('soft state on a nonsense value', () => scheduler.thermalState === 'soft');
  await submit(1);
  await until('j1 done while the sensor is lost', () => done.includes('j1'));
  t.equal(scheduler.decision?.threads, 2, 'throttled to half the threads');
  t.match(scheduler.decision?.reasons.join('; '), /thermal sensor unreadable/);
  t.equal(lines.filter((l) => /thermal sensor unreadable 3 times in a row/.test(l)).length, 1, 'one warning, not one per pass');
  t.match(lines.join('\n'), /lastReadC=50/, 'naming the last reading');

  // It reads again, hot; then it goes: the box stays paused rather than resuming work blind.
  setTemp(90);
  await until('hard state', () => scheduler.thermalState === 'hard');
  t.match(lines.join('\n'), /thermal sensor reads again/);
  rmSync(sensorFile);
  await submit(2);
  await new Promise((r) => setTimeout(r, 500));
  t.equal(scheduler.thermalState, 'hard', 'still paused without a sensor');
  t.notOk(done.includes('j2'), 'batch work waits');
  t.equal(lines.filter((l) => /thermal sensor unreadable 3 times in a row/.test(l)).length, 2, 'said again for this loss');

  // Back, and cool: work resumes.
  setTemp(50);
  await until('j2 done once cool', () => done.includes('j2'));
  t.equal(scheduler.thermalState, 'normal');
});

t.test('a job on its way to stopping for fewer threads when the hard limit comes stops for the hard limit', async (t) => {
  const lines: string[] = [];
  const logger = new LogSink({ level: 'info', format: 'text', write: (l) => void lines.push(l) }).logger('scheduler');
  const { setTemp, runtime, submit, queue, bus, scheduler } = await orinScheduler(t, logger);
  const interrupted: unknown[] = [];
  bus.on(t, 'jobInterrupted', (e) => interrupted.push({ id: e.job.id, stopping: e.stopping, reason: e.reason }));
  setTemp(50);
  runtime.minRunMs = 60_000;
  runtime.stopLagMs = 1500; // a batch of segments to finish before its safe point
  await submit(1);
  await until('j1 running', () => queue.running().length === 1);

  setTemp(80); // into the soft band: fewer threads, so the running job is asked to stop
  await until('asked to stop for fewer threads', () => lines.some((l) => /interrupting running job at its next safe point: fewer threads/.test(l)), 5000);
  setTemp(90);
  await until('hard state', () => scheduler.thermalState === 'hard', 5000);
  await until('j1 stopped', () => interrupted.length > 0, 10_000);
  t.same(interrupted, [{ id: 'j1', stopping: false, reason: 'thermal hard limit' }], 'the event names the hard limit: it waits to cool, a taken fleet job is handed back');
  t.match(lines.join('\n'), /job interrupted at the thermal hard limit; it resumes where it stopped once the box has cooled.*id=j1/, 'and so does its log line');
  t.equal((await queue.get('j1'))?.state, 'pending');
});

t.test('live work that never leaves the session idle does not keep it at full threads under the soft limit', async (t) => {
  const lines: string[] = [];
  const logger = new LogSink({ level: 'info', format: 'text', write: (l) => void lines.push(l) }).logger('scheduler');
  const { dir, setTemp, runtime, lifecycle, queue, scheduler } = await orinScheduler(t, logger);
  setTemp(50);
  runtime.minRunMs = 400;
  // Live segments from overlapping streams: a new one every 150 ms, each busy 400 ms, so
  // that some live work always runs.
  let n = 0;
  const feed = setInterval(() => {
    n++;
    void queue.submit({ id: `l${n}`, input: join(dir, '1.wav'), priority: 'live' }).then(() => scheduler.poke());
  }, 150);
  t.teardown(() => clearInterval(feed));
  await until('the model loaded with 4 threads', () => lifecycle.threads === 4, 10_000);
  await new Promise((r) => setTimeout(r, 1000));
  t.ok(queue.running().length > 0, 'live work running');

  setTemp(80); // into the soft band: one thread
  const started = performance.now();
  await until('the model loaded again with fewer threads', () => lifecycle.threads === 1, 30_000);
  const waited = performance.now() - started;
  t.ok(waited >= RELOAD_DRAIN_AFTER_MS - 1000, `it first waited for an idle moment (${Math.round(waited)} ms)`);
  t.match(lines.join('\n'), /new live work waits for the reload/);
  clearInterval(feed);
  await until('every live segment done', () => queue.pending().length === 0 && queue.running().length === 0, 20_000);
  t.same(await queue.failedRecords(), [], 'none failed');
});
