import t from 'tap';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { repoRoot, tempDir } from '../helpers/paths.js';
import { silentLogger } from '../../daemon/log/logger.js';
import { ControlServer } from '../../daemon/control/server.js';
import { JobQueue } from '../../daemon/scheduler/job-queue.js';
import { ModelLifecycle } from '../../daemon/scheduler/model-lifecycle.js';
import { Scheduler } from '../../daemon/scheduler/scheduler.js';
import { BudgetStore } from '../../daemon/scheduler/budget-store.js';
import { createSchedulerHandlers, type SubmitResult } from '../../daemon/scheduler/control-handlers.js';
import { StaticCarbonSource } from '../../daemon/energy/carbon/static-source.js';
import JobsSubmit from '../../daemon/cli/commands/jobs/submit.js';
import JobsList from '../../daemon/cli/commands/jobs/list.js';
import JobsWait from '../../daemon/cli/commands/jobs/wait.js';
import JobsExport from '../../daemon/cli/commands/jobs/export.js';
import { FrameEnergyRuntime, writeToneWav } from './helpers/frame-energy-runtime.js';
import { captureOutput } from './helpers/capture-stdout.js';

t.test('jobs submit DIR → list → wait → export, through the real control socket', async (t) => {
  const dir = tempDir('earshot-jobs-cli-');
  const dataDir = join(dir, 'data');
  const audio = join(dir, 'audio');
  mkdirSync(join(audio, 'sub'), { recursive: true });
  await writeToneWav(join(audio, 'one.wav'), 0.5, [[0.1, 0.2]]);
  await writeToneWav(join(audio, 'sub', 'two.wav'), 0.5, [[0.25, 0.4]]);
  const socket = join(dir, 'control.sock');

  const queue = new JobQueue({ dir: join(dataDir, 'queue'), logger: silentLogger, defaultDeadlineHours: 24, maxAttempts: 3 });
  const lifecycle = new ModelLifecycle(new FrameEnergyRuntime(0), silentLogger);
  const carbon = new StaticCarbonSource(180);
  const budget = new BudgetStore(dataDir, { powerBudgetWatts: null, softC: 75, hardC: 90, hysteresisC: 5 });
  await budget.load();
  const scheduler = new Scheduler({
    queue,
    lifecycle,
    carbon,
    limits: () => ({ maxThreads: 2, maxConcurrency: 1, powerBudgetWatts: budget.current().powerBudgetWatts, thermal: { softC: budget.current().softC, hardC: budget.current().hardC, hysteresisC: 5 }, minCarbonSaving: 0.05, deadlineSafety: 1.5 }),
    readTemperature: async () => 40,
    power: { idleWatts: 5, wattsPerThread: 4 },
    model: { idleUnloadMs: 60e3, preloadMs: 0 },
    expectedMs: () => 100,
    logger: silentLogger,
    tickMs: 50,
    stopGraceMs: 5000,
  });
  const control = new ControlServer({ config: { socket, mode: '0660', maxRequestBytes: 1 << 20, requestTimeoutMs: 10_000, maxConnections: 64 }, logger: silentLogger });
  for (const [name, spec] of Object.entries(createSchedulerHandlers({ queue, scheduler, lifecycle, budget, carbon }))) control.registerUntyped(name, spec);
  await queue.start();
  await scheduler.start();
  await control.start();
  t.teardown(async () => {
    await control.stop();
    await scheduler.stop();
    await queue.stop();
  });

  const submitted: SubmitResult = await (await captureOutput(() => JobsSubmit.run([audio, join(dir, 'missing.wav'), '--deadline', '6h', '--socket', socket, '--json'], repoRoot))).value;
  t.equal(submitted.submitted.length, 2);
  t.ok(submitted.submitted.every((s) => s.created && /^f-[0-9a-f]{24}$/.test(s.id)));
  t.match(submitted.errors[0]?.error, /no such file or directory/);
  const due = Date.parse(submitted.submitted[0]?.deadline ?? '') - Date.now();
  t.ok(due > 5.9 * 3600e3 && due <= 6 * 3600e3, 'deadline 6 h from now');

  const again: SubmitResult = await (await captureOutput(() => JobsSubmit.run([join(audio, 'one.wav'), '--socket', socket, '--json'], repoRoot))).value;
  t.same(again.submitted.map((s) => s.created), [false], 'the same file again is the same job');

  const waited = await (await captureOutput(() => JobsWait.run(['--socket', socket, '--interval', '1', '--timeout', '30s', '--json', ...submitted.submitted.map((s) => s.id)], repoRoot))).value;
  t.same(Object.values(waited.states), ['done', 'done']);

  const listed = await (await captureOutput(() => JobsList.run(['--socket', socket, '--json'], repoRoot))).value;
  t.same(listed.counts, { pending: 0, running: 0, done: 2, failed: 0 });

  const csv = await captureOutput(() => JobsExport.run(['--format', 'csv', '--data-dir', dataDir], repoRoot));
  const lines = csv.stdout.trim().split('\r\n');
  t.equal(lines[0], 'job_id,input,finished_at,start_sec,end_sec,text,joules,energy_source,gco2e,recording');
  t.equal(lines.length, 3);
  t.ok(lines.some((l) => l.includes('one.wav') && l.includes(',0.100,0.200,tone 1')));
  t.ok(lines.some((l) => l.includes('two.wav') && l.includes(',0.250,0.400,tone 1')));
  const json = await (await captureOutput(() => JobsExport.run(['--format', 'json', '--data-dir', dataDir, '--json'], repoRoot))).value;
  t.equal(json.length, 2);

  await t.rejects(captureOutput(() => JobsSubmit.run([join(audio, 'one.wav'), '--socket', join(dir, 'nobody.sock')], repoRoot)), /daemon not running/);
});
