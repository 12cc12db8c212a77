import t from 'tap';
import { join } from 'node:path';
import { tempDir } from '../helpers/paths.js';
import { silentLogger } from '../../daemon/log/logger.js';
import { ModelLifecycle } from '../../daemon/scheduler/model-lifecycle.js';
import type { JobRecord } from '../../daemon/scheduler/job-queue.js';
import { FrameEnergyRuntime, writeToneWav } from './helpers/frame-energy-runtime.js';

const job = (input: string): JobRecord => ({ id: 'j', input, priority: 'batch', deadline: '2030-01-01T00:00:00Z', submittedAt: '2026-01-01T00:00:00Z', attempts: 1 });

t.test('loads on demand once for concurrent callers, reports resident memory', async (t) => {
  const rt = new FrameEnergyRuntime();
  const lc = new ModelLifecycle(rt, silentLogger);
  t.equal(lc.telemetry().state, 'unloaded');
  await Promise.all([lc.ensureLoaded(), lc.ensureLoaded(), lc.ensureLoaded()]);
  t.equal(rt.loadCount, 1);
  t.same([lc.telemetry().state, lc.telemetry().residentBytes, lc.telemetry().device], ['loaded', 400 * 32 * 4, 'cpu']);
});

t.test('unload waits for the running job, then frees the memory', async (t) => {
  const dir = tempDir();
  const wav = join(dir, 'a.wav');
  await writeToneWav(wav, 0.5, [[0.1, 0.3]]);
  const rt = new FrameEnergyRuntime(200);
  const lc = new ModelLifecycle(rt, silentLogger);
  const running = lc.run(job(wav), { threads: 2 });
  await new Promise((r) => setTimeout(r, 50));
  const unloading = lc.unload('memory pressure');
  await new Promise((r) => setImmediate(r));
  t.equal(lc.state, 'unloading');
  const result = await running;
  t.equal(result.threads, 2);
  t.same(result.segments.map((s) => [s.startSec, s.endSec]), [[0.1, 0.3]]);
  await unloading;
  t.same([lc.state, rt.unloadCount, lc.telemetry().lastUnloadReason], ['unloaded', 1, 'memory pressure']);
  // Running again loads again.
  await lc.run(job(wav), { threads: 1 });
  t.equal(rt.loadCount, 2);
});

t.test('a failing load leaves the model unloaded and the error with the caller', async (t) => {
  const rt = new FrameEnergyRuntime();
  rt.load = async () => {
    throw new Error('model.onnx: file not found');
  };
  const lc = new ModelLifecycle(rt, silentLogger);
  await t.rejects(lc.ensureLoaded(), /file not found/);
  t.equal(lc.state, 'unloaded');
});

t.test('the session is loaded with the policy\'s threads, and loaded again with another count only when idle', async (t) => {
  const dir = tempDir();
  const wav = join(dir, 'a.wav');
  await writeToneWav(wav, 0.5, [[0.1, 0.3]]);
  const rt = new FrameEnergyRuntime(200);
  const lc = new ModelLifecycle(rt, silentLogger);
  await lc.run(job(wav), { threads: 4 });
  t.same([rt.loadThreads, lc.threads, lc.telemetry().threads], [[4], 4, 4], 'the run that loads it gives the count');

  const running = lc.run(job(wav), { threads: 4 });
  await new Promise((r) => setTimeout(r, 50));
  t.equal(await lc.retune(1, 'thermal soft'), false, 'not under a running job');
  t.same([rt.loadThreads, rt.unloadCount], [[4], 0]);
  await running;
  t.equal(await lc.retune(1, 'thermal soft'), true);
  t.same([rt.loadThreads, rt.unloadCount, lc.threads, lc.state], [[4, 1], 1, 1, 'loaded'], 'idle: unloaded and loaded with one');
  t.equal(await lc.retune(1, 'thermal soft'), true, 'already so: nothing to do');
  t.same(rt.loadThreads, [4, 1]);

  await lc.unload('idle timeout');
  t.equal(lc.threads, undefined);
  t.equal(await lc.retune(2, 'limits changed'), true, 'nothing loaded: nothing to do');
  t.same(rt.loadThreads, [4, 1], 'retune does not load an unloaded model');
  await lc.ensureLoaded('earshot model load');
  t.same(rt.loadThreads, [4, 1, 2], 'a load without a count uses the policy\'s last');
  lc.wantThreads(3);
  await lc.unload('idle timeout');
  await lc.ensureLoaded('live speech');
  t.equal(lc.threads, 3, 'as the scheduler last said');
});
