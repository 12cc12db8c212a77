import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/paths.js';
import { LogSink, silentLogger } from '../../daemon/log/logger.js';
import { JobQueue } from '../../daemon/scheduler/job-queue.js';
import { FrameEnergyRuntime, writeToneWav } from './helpers/frame-energy-runtime.js';
import { EnergyLedger } from '../../daemon/energy/ledger.js';
import { JobEnergyTracker } from '../../daemon/energy/job-energy-tracker.js';
import { startOneJobScheduler } from './helpers/one-job-scheduler.js';

/**
 * On stop, running jobs get `stopGraceMs` to finish; past it they are interrupted at their
 * next safe point and go back to the queue without the try counting. The runtime is the
 * frame-energy one: real WAV reads and real arithmetic, kept busy for `runMs`.
 */
async function setup(t: Test, o: { runMs: number; stopGraceMs: number; dir?: string; ledger?: EnergyLedger }) {
  const dir = o.dir ?? tempDir('earshot-stop-grace-');
  await writeToneWav(join(dir, 'long.wav'), 0.5, [[0.1, 0.2]]);
  const lines: string[] = [];
  const logger = new LogSink({ level: 'info', format: 'text', write: (l) => void lines.push(l) }).logger('scheduler');
  const energy = o.ledger ? { energy: new JobEnergyTracker({ meters: [], cpuFamily: 'intel-core', root: '/' }), ledger: o.ledger } : {};
  const { bus, queue, scheduler, done, failed } = await startOneJobScheduler(t, { dir, runtime: new FrameEnergyRuntime(o.runMs), logger }, { stopGraceMs: o.stopGraceMs, ...energy });
  const interrupted: string[] = [];
  bus.on(t, 'jobInterrupted', (e) => interrupted.push(`${e.job.id}${e.stopping ? ' (stopping)' : ''}`));
  const runJob = async () => {
    await queue.submit({ id: 'long', input: join(dir, 'long.wav'), priority: 'batch' });
    scheduler.poke();
    // Running once the try is on disk: markStarted counts it in memory first.
    while (queue.running().length === 0 || attemptsOnDisk() === 0) await new Promise((r) => setTimeout(r, 10));
  };
  const attemptsOnDisk = () => (JSON.parse(readFileSync(join(dir, 'queue', 'pending', 'long.json'), 'utf8')) as { attempts: number }).attempts;
  return { queue, scheduler, done, failed, interrupted, lines, runJob, attemptsOnDisk };
}

t.test('a job longer than the grace is interrupted, put back uncounted, and the stop ends', async (t) => {
  const ledger = new EnergyLedger(tempDir('earshot-stop-grace-ledger-'));
  const s = await setup(t, { runMs: 60_000, stopGraceMs: 200, ledger });
  await s.runJob();
  t.equal(s.attemptsOnDisk(), 1, 'the try is counted while it runs (a crash must count)');
  const before = Date.now();
  await s.scheduler.stop();
  const tookMs = Date.now() - before;
  t.ok(tookMs < 30_000, `the stop did not wait for the minute-long job (${tookMs} ms)`);
  await s.queue.stop();
  t.same([s.done, s.failed], [[], []], 'neither done nor failed');
  t.same(s.interrupted, ['long (stopping)'], 'said on the bus, as by the stop (the fleet gives up its taken jobs on it)');
  t.equal(s.attemptsOnDisk(), 0, 'the interrupted try is taken back');
  t.match(s.lines.join('\n'), /interrupting 1 running job\(s\) at their next safe point.*jobs=long/);
  t.match(s.lines.join('\n'), /job interrupted by the stop; it resumes after the restart.*id=long/);
  const entries = await ledger.entries();
  t.match(entries, [{ jobId: 'long', interrupted: true }], 'the interrupted run\'s energy is in the ledger');
  t.ok((entries[0]?.joules ?? 0) > 0, `${entries[0]?.joules} J`);
  const totals = await ledger.totals(0);
  t.same([totals.total.jobs, totals.total.joules], [0, entries[0]?.joules], 'its energy counts; it is not counted as a job');
});

t.test('stopped during the same long job more often than maxAttempts, it is not failed', async (t) => {
  // Before the grace, each of these stops ended in systemd's SIGKILL, each counted a try,
  // and the third failed the job for good ("the daemon stopped while running this job 3 times").
  const dir = tempDir('earshot-stop-grace-');
  for (let i = 0; i < 4; i++) {
    const s = await setup(t, { runMs: 60_000, stopGraceMs: 50, dir });
    await s.runJob();
    await s.scheduler.stop();
    await s.queue.stop();
    t.equal(s.attemptsOnDisk(), 0, `stop ${i + 1}: uncounted`);
  }
  const queue = new JobQueue({ dir: join(dir, 'queue'), logger: silentLogger, defaultDeadlineHours: 24, maxAttempts: 3 });
  await queue.start();
  t.equal((await queue.get('long'))?.state, 'pending', 'still pending after the fifth start, not failed');
});

t.test('a job that ends within the grace finishes normally', async (t) => {
  const s = await setup(t, { runMs: 300, stopGraceMs: 10_000 });
  await s.runJob();
  await s.scheduler.stop();
  await s.queue.stop();
  t.same(s.done, ['long'], 'done');
  t.notMatch(s.lines.join('\n'), /interrupt/);
});
