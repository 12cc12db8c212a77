import t from 'tap';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesDir, tempDir } from '../helpers/paths.js';
import { silentLogger } from '../../daemon/log/logger.js';
import { EventBus } from '../../daemon/bus.js';
import type { EarshotConfig } from '../../daemon/config/types.js';
import { SchedulerStack } from '../../daemon/scheduler/scheduler-stack.js';
import { validateConfig } from '../../daemon/config/load.js';
import { EnergyLedger } from '../../daemon/energy/ledger.js';
import { FrameEnergyRuntime, writeToneWav } from './helpers/frame-energy-runtime.js';

/** A real validated config: schema defaults plus the few settings the test needs, and `extra` sections. */
function config(dataDir: string, root: string, extra: Record<string, unknown> = {}): EarshotConfig {
  return validateConfig({ siteId: 't', dataDir, scheduler: { maxThreads: 2, tickMs: 100, thermal: { sysfsRoot: root }, carbon: { staticGPerKWh: 300 } }, ...extra }, 'test');
}

/** A temp folder with a box (a sysfs tree without power meters) and a 1 s tone recording in it. */
async function toneBox(prefix: string): Promise<{ dir: string; root: string; wav: string }> {
  const dir = tempDir(prefix);
  const root = join(dir, 'box');
  cpSync(join(fixturesDir, 'sysfs', 'no-meters'), root, { recursive: true });
  const wav = join(dir, 'a.wav');
  await writeToneWav(wav, 1, [[0.3, 0.6]]);
  return { dir, root, wav };
}

t.test('the stack probes, runs a submitted job, bills its energy and carbon, and stops cleanly', async (t) => {
  const { dir, root, wav } = await toneBox('earshot-stack-');
  const bus = new EventBus();
  const runtime = new FrameEnergyRuntime(100);
  const stack = new SchedulerStack({ config: config(join(dir, 'data'), root), logger: () => silentLogger, bus, runtime });
  const handlers = stack.handlers();
  await t.rejects(Promise.resolve().then(() => handlers['jobs.list']?.handler({})), /has not started yet/);
  await stack.start();
  t.equal(stack.hardware?.energySource, 'estimated');
  const done = new Promise<{ energy?: { source: string; gCO2e: number; intensity: { gPerKWh: number } } }>((resolve) => bus.on(t, 'jobDone', resolve));
  const submitted = (await handlers['jobs.submit']?.handler({ paths: [wav] })) as { submitted: Array<{ id: string }> };
  t.equal(submitted.submitted.length, 1);
  const event = await done;
  t.equal(event.energy?.source, 'estimated');
  t.equal(event.energy?.intensity.gPerKWh, 300);
  t.ok((event.energy?.gCO2e ?? 0) > 0);
  const status = (await handlers['scheduler.status']?.handler({})) as { model: { state: string; residentBytes: number }; jobs: { done: number }; power: { watts: number; source: string } };
  t.same([status.model.state, status.jobs.done], ['loaded', 1]);
  t.equal(status.power.source, 'estimated', 'no meter in the fixture box');
  t.ok(status.power.watts > 0);
  t.ok(status.model.residentBytes > 0);
  t.equal((status.model as { threads?: number }).threads, 2, 'loaded with scheduler.maxThreads threads');
  const budget = (await handlers['budget.set']?.handler({ powerBudgetWatts: 12 })) as { powerBudgetWatts: number };
  t.equal(budget.powerBudgetWatts, 12);
  // 12 W leaves room for one thread on this box's power model: the idle model is loaded again with one.
  const threadsNow = async () => ((await handlers['scheduler.status']?.handler({})) as { model: { threads?: number } }).model.threads;
  for (let i = 0; i < 100 && (await threadsNow()) !== 1; i++) await new Promise((r) => setTimeout(r, 20));
  t.equal(await threadsNow(), 1, 'the budget took effect on the model\'s session');
  const unloads = runtime.unloadCount;
  await stack.stop();
  t.equal(runtime.unloadCount, unloads + 1, 'the model is unloaded on stop');
  const totals = await new EnergyLedger(join(dir, 'data')).totals(0);
  t.equal(totals.bySource.estimated.jobs, 1);
  t.equal(totals.total.jobs, 1);
});

t.test("energy.idleWatts and wattsPerThread set the estimates as they set the budget's power model", async (t) => {
  const { dir, root, wav } = await toneBox('earshot-stack-power-');
  const bus = new EventBus();
  const cfg = config(join(dir, 'data'), root, { energy: { idleWatts: 50, wattsPerThread: 100 } });
  const stack = new SchedulerStack({ config: cfg, logger: () => silentLogger, bus, runtime: new FrameEnergyRuntime(100) });
  await stack.start();
  t.teardown(() => stack.stop());
  const done = new Promise<{ energy?: { joules: number; method: string } }>((resolve) => bus.on(t, 'jobDone', resolve));
  await stack.handlers()['jobs.submit']?.handler({ paths: [wav] });
  const { energy } = await done;
  t.match(energy?.method, /^cpu-model:[\w-]+\+configured$/, 'the job was billed with the configured figures');
  const status = (await stack.handlers()['scheduler.status']?.handler({})) as { power: { watts: number } };
  t.ok(status.power.watts >= 50, `as the budget's power model is (${status.power.watts} W, idle 50 W)`);
});

t.test('a model on a GPU is not loaded again for a budget: its CPU threads do little of the work', async (t) => {
  const { dir, root, wav } = await toneBox('earshot-stack-gpu-');
  const bus = new EventBus();
  // The same runtime, saying it runs on CUDA (no GPU here; only the device name matters).
  const runtime = new (class extends FrameEnergyRuntime {
    override device(): string {
      return 'cuda';
    }
  })(100);
  const stack = new SchedulerStack({ config: config(join(dir, 'data'), root), logger: () => silentLogger, bus, runtime });
  const handlers = stack.handlers();
  await stack.start();
  t.teardown(() => stack.stop());
  const done = new Promise((resolve) => bus.on(t, 'jobDone', resolve));
  await handlers['jobs.submit']?.handler({ paths: [wav] });
  await done;
  await handlers['budget.set']?.handler({ powerBudgetWatts: 12 });
  await new Promise((r) => setTimeout(r, 500)); // five scheduler passes
  t.same([runtime.loadThreads, runtime.unloadCount], [[2], 0], 'loaded once, with two threads, and kept');
});
