import t from 'tap';
import { RELOAD_DRAIN_AFTER_MS, RELOAD_DRAIN_MAX_LIVE_MS, decide, nextThermalState, type PolicyInput, type PolicyJob } from '../../daemon/scheduler/policy.js';
import { nextLowWindow } from '../../daemon/scheduler/low-window.js';
import { SlotPlan } from '../../daemon/scheduler/slot-plan.js';
import type { IntensityPoint } from '../../daemon/energy/carbon/types.js';

const H = 3600e3;
const NOW = Date.parse('2026-11-25T09:00:00Z');

/** Half-hour periods from NOW with the given intensities. */
function forecast(values: number[]): IntensityPoint[] {
  return values.map((g, i) => ({ fromMs: NOW + i * H / 2, toMs: NOW + (i + 1) * H / 2, gPerKWh: g }));
}

function job(id: string, over: Partial<PolicyJob> = {}): PolicyJob {
  return { id, priority: 'batch', submittedAtMs: NOW, deadlineMs: NOW + 24 * H, expectedMs: 10 * 60e3, ...over };
}

function input(over: Partial<PolicyInput> = {}): PolicyInput {
  return {
    nowMs: NOW,
    queue: [],
    running: [],
    forecast: forecast(Array(48).fill(200)),
    limits: { maxThreads: 4, maxConcurrency: 2, powerBudgetWatts: null, thermal: { softC: 70, hardC: 85, hysteresisC: 5 }, minCarbonSaving: 0.05, deadlineSafety: 1.5 },
    temperatureC: 50,
    thermalState: 'normal',
    power: { idleWatts: 6, wattsPerThread: 5 },
    model: { loaded: true, lastUsedMs: NOW, idleUnloadMs: 600e3, preloadMs: 300e3, memoryPressure: false },
    ...over,
  };
}

t.test('batch job runs in the lowest-carbon window that meets its deadline', async (t) => {
  // High now, a clean dip 3 h out, an even cleaner dip 30 h out (past the deadline).
  const values = Array(96).fill(250);
  for (let i = 6; i < 10; i++) values[i] = 90;
  for (let i = 60; i < 64; i++) values[i] = 40;
  const d = decide(input({ queue: [job('b1')], forecast: forecast(values) }));
  t.same(d.run, []);
  t.equal(d.defer[0]?.id, 'b1');
  t.equal(d.defer[0]?.untilMs, NOW + 3 * H);
  t.match(d.defer[0]?.reason, /^cleaner window: 90 vs 250 gCO2e\/kWh, starting 2026-11-25T12:00:00\.000Z$/, 'says when the job starts');
});

t.test('a window the job cannot finish in before its deadline is not chosen', async (t) => {
  const values = Array(48).fill(250);
  for (let i = 8; i < 12; i++) values[i] = 50; // 4 h – 6 h from now
  const d = decide(input({ queue: [job('b1', { deadlineMs: NOW + 4 * H + 5 * 60e3 })], forecast: forecast(values) }));
  t.same(d.run, ['b1'], 'latest start with safety margin is before the dip');
});

t.test('live is never deferred, even when dirty, hot or over budget', async (t) => {
  const values = [900, ...Array(47).fill(10)];
  const d = decide(input({ queue: [job('b1'), job('l1', { priority: 'live' })], forecast: forecast(values), temperatureC: 95, limits: { ...input().limits, powerBudgetWatts: 3 } }));
  t.same(d.run, ['l1']);
  t.equal(d.thermalState, 'hard');
  t.ok(d.pauseBatch);
  t.equal(d.model, 'keep', 'live work keeps the model loaded even at the hard limit');
});

t.test('priorities: live > interactive > batch within the free slots', async (t) => {
  const d = decide(input({ queue: [job('b1'), job('i1', { priority: 'interactive' }), job('i2', { priority: 'interactive' }), job('l1', { priority: 'live' })] }));
  t.same(d.run, ['l1', 'i1']);
  t.same(d.defer.map((x) => [x.id, x.reason]), [['i2', 'no free slot'], ['b1', 'no free slot']]);
});

t.test('flat forecast or small saving → run now; no forecast → run now', async (t) => {
  t.same(decide(input({ queue: [job('b1')] })).run, ['b1']);
  const small = Array(48).fill(200);
  small[10] = 195;
  t.same(decide(input({ queue: [job('b1')], forecast: forecast(small) })).run, ['b1']);
  t.same(decide(input({ queue: [job('b1')], forecast: [] })).run, ['b1']);
});

t.test('deadline pressure from a backlog pulls jobs forward', async (t) => {
  const values = Array(48).fill(250);
  for (let i = 20; i < 24; i++) values[i] = 50; // 10 h out
  // Twelve one-hour jobs due in 12 h at concurrency 2: with safety they cannot all wait 10 h.
  const queue = Array.from({ length: 12 }, (_, i) => job(`b${i}`, { deadlineMs: NOW + 12 * H, expectedMs: H }));
  const d = decide(input({ queue, forecast: forecast(values) }));
  t.ok(d.run.length > 0, `some run now: ${d.run.join(',')}`);
  t.ok(d.defer.some((x) => x.untilMs === NOW + 10 * H), 'the ones that can wait still wait');
});

t.test('thermal: soft throttles, hard pauses batch and unloads, hysteresis on the way back', async (t) => {
  const th = { softC: 70, hardC: 85, hysteresisC: 5 };
  t.equal(nextThermalState('normal', 69.9, th), 'normal');
  t.equal(nextThermalState('normal', 72, th), 'soft');
  t.equal(nextThermalState('soft', 68, th), 'soft', 'within hysteresis of soft');
  t.equal(nextThermalState('soft', 64.9, th), 'normal');
  t.equal(nextThermalState('soft', 86, th), 'hard');
  t.equal(nextThermalState('hard', 80, th), 'hard');
  t.equal(nextThermalState('hard', 66, th), 'hard', 'below soft but not by the hysteresis');
  t.equal(nextThermalState('hard', 65, th), 'normal');
  t.equal(nextThermalState('hard', undefined, th), 'hard', 'no reading keeps the state');

  const soft = decide(input({ queue: [job('b1')], temperatureC: 75 }));
  t.equal(soft.thermalState, 'soft');
  t.ok(soft.threads < 4 && soft.threads >= 1, `threads ${soft.threads}`);
  t.equal(soft.concurrency, 1);
  t.same(soft.run, ['b1']);
  t.match(soft.reasons.join('\n'), /thermal soft limit: 75\.0 °C ≥ 70 °C/);
  const softCooling = decide(input({ queue: [job('b1')], temperatureC: 67, thermalState: 'soft' }));
  t.equal(softCooling.thermalState, 'soft', 'inside the hysteresis band');
  t.match(softCooling.reasons.join('\n'), /thermal soft limit: reached, cooling: 67\.0 °C, throttled until ≤ 65 °C/, 'cooling inside the band is not said to be past the limit');
  t.notMatch(softCooling.reasons.join('\n'), /67\.0 °C ≥/);

  const hard = decide(input({ queue: [job('b1'), job('i1', { priority: 'interactive' })], temperatureC: 90 }));
  t.equal(hard.thermalState, 'hard');
  t.same(hard.run, []);
  t.ok(hard.pauseBatch);
  t.same(hard.pausedBy, ['thermal hard limit'], 'paused by the heat, not a budget');
  t.equal(hard.model, 'unload');
  t.match(hard.reasons.join('\n'), /thermal hard limit: 90\.0 °C/);

  const cooling = decide(input({ queue: [job('b1')], temperatureC: 67, thermalState: 'hard', model: { ...input().model, loaded: false } }));
  t.equal(cooling.thermalState, 'hard');
  t.same(cooling.run, []);
  t.equal(cooling.model, 'keep');
  t.match(cooling.reasons.join('\n'), /thermal hard limit: reached, cooling: 67\.0 °C, batch paused until ≤ 65 °C/, 'cooling inside the band is not said to be past the limit');
  t.notMatch(cooling.reasons.join('\n'), /67\.0 °C ≥/);
  const resumed = decide(input({ queue: [job('b1')], temperatureC: 64, thermalState: 'hard', model: { ...input().model, loaded: false } }));
  t.equal(resumed.thermalState, 'normal');
  t.same(resumed.run, ['b1']);
  t.equal(resumed.model, 'load');
});

t.test('power budget caps threads × concurrency from the model, and from the meter when it reads higher', async (t) => {
  const limits = { ...input().limits, powerBudgetWatts: 22 };
  // (22 − 6) / 5 = 3 threads in all.
  const d = decide(input({ limits, queue: [job('a'), job('b')] }));
  t.equal(d.threads * d.concurrency <= 3, true, `${d.threads}×${d.concurrency}`);
  t.ok(d.plannedWatts <= 22);
  // The meter reads 30 W with 2 threads busy: 12 W per thread, so only one fits.
  const running = [job('r', { priority: 'batch' })];
  const m = decide(input({ limits, running, power: { idleWatts: 6, wattsPerThread: 5, measuredWatts: 30, busyThreads: 2 }, queue: [job('a')] }));
  t.equal(m.threads * m.concurrency, 1);
  const tooLow = decide(input({ limits: { ...limits, powerBudgetWatts: 8 }, queue: [job('a'), job('l', { priority: 'live' })] }));
  t.same(tooLow.run, ['l']);
  t.ok(tooLow.pauseBatch);
  t.same(tooLow.pausedBy, ['power budget']);
  t.match(tooLow.reasons.join(' '), /below idle \+ one thread/);
});

t.test('running jobs of the work held back are to be interrupted; live work never is', async (t) => {
  const running = [job('b', { priority: 'batch' }), job('i', { priority: 'interactive' }), job('l', { priority: 'live' })];
  t.same(decide(input({ running, temperatureC: 50 })).interrupt, [], 'cool: nothing');
  t.same(decide(input({ running, temperatureC: 75 })).interrupt, [], 'soft limit: throttled, not interrupted');
  t.same(decide(input({ running, temperatureC: 90 })).interrupt, [{ id: 'b', reason: 'thermal hard limit' }, { id: 'i', reason: 'thermal hard limit' }], 'hard limit: batch and interactive');
  const starved = decide(input({ running, limits: { ...input().limits, powerBudgetWatts: 8 } }));
  t.same(starved.interrupt, [{ id: 'b', reason: 'power budget' }], 'a budget below one thread: batch only, as it pauses only batch');
  // idle 6 W, 5 W a thread by the model: a 13 W budget fits one thread, but the meter reads
  // 11 W a thread while the job runs. New batch work waits; the running job is not stopped,
  // or it would be started again as soon as it stopped (the meter reads low when idle).
  const metered = decide(input({ running: [job('b', { priority: 'batch' })], limits: { ...input().limits, powerBudgetWatts: 13 }, power: { idleWatts: 6, wattsPerThread: 5, measuredWatts: 17, busyThreads: 1 }, queue: [job('next')] }));
  t.ok(metered.pauseBatch, 'the metered draw holds back new batch work');
  t.same(metered.interrupt, [], 'but does not interrupt the running job');
  const idle = decide(input({ limits: { ...input().limits, powerBudgetWatts: 13 }, power: { idleWatts: 6, wattsPerThread: 5, measuredWatts: 6, busyThreads: 0 }, queue: [job('b')] }));
  t.same(idle.run, ['b'], 'idle, the same budget starts it (so interrupting it would loop)');
});

t.test('model lifecycle decisions: load on demand, preload before a window, idle unload, memory pressure', async (t) => {
  const unloaded = { ...input().model, loaded: false };
  t.equal(decide(input({ queue: [job('a')], model: unloaded })).model, 'load');
  const values = Array(48).fill(250);
  values[1] = 50; // the window opens in 30 min
  const preloadSoon = decide(input({ queue: [job('a', { expectedMs: 60e3 })], forecast: forecast(values), model: { ...unloaded, preloadMs: 40 * 60e3 } }));
  t.equal(preloadSoon.defer[0]?.untilMs, NOW + H / 2);
  t.equal(preloadSoon.model, 'preload');
  const notYet = decide(input({ queue: [job('a', { expectedMs: 60e3 })], forecast: forecast(values), model: { ...unloaded, preloadMs: 10 * 60e3 } }));
  t.equal(notYet.model, 'keep');
  t.equal(decide(input({ model: { ...input().model, lastUsedMs: NOW - 601e3 } })).model, 'unload');
  t.equal(decide(input({ model: { ...input().model, lastUsedMs: NOW - 100e3 } })).model, 'keep');
  t.equal(decide(input({ model: { ...input().model, memoryPressure: true } })).model, 'unload');
  t.equal(decide(input({ running: [job('r')], model: { ...input().model, memoryPressure: true } })).model, 'keep', 'never under a running job');
});

t.test('jobs share the capacity of a clean window instead of all piling into it', async (t) => {
  // One 30-min dip at 2 h (40 g), a smaller one at 5 h (90 g); 250 elsewhere. Two 25-min jobs, one lane.
  const values = Array(48).fill(250);
  values[4] = 40;
  values[10] = 90;
  const d = decide(input({ queue: [job('a', { expectedMs: 25 * 60e3 }), job('b', { expectedMs: 25 * 60e3, deadlineMs: NOW + 25 * H })], forecast: forecast(values), limits: { ...input().limits, maxConcurrency: 1 } }));
  t.same(d.defer.map((x) => [x.id, (x.untilMs - NOW) / H]), [['a', 2], ['b', 5]]);
});

t.test('slot plan: lanes per period, runs at real speed, placement through what is left', async (t) => {
  const plan = new SlotPlan(forecast([100, 50, 200]), NOW, 2, NOW + 2 * H);
  t.same(plan.trial(NOW, H), { startMs: NOW, finishMs: NOW + H, meanGPerKWh: 75 });
  plan.reserve(NOW + H / 2, H / 2);
  plan.reserve(NOW + H / 2, H / 2);
  // The 50 g period is full now: a run starting there spills into the 200 g one.
  t.same(plan.trial(NOW + H / 2, H / 2), { startMs: NOW + H / 2, finishMs: NOW + 3 * H / 2, meanGPerKWh: 200 });
  t.same(plan.starts(NOW, NOW + H), [NOW, NOW + H / 2, NOW + H]);
  t.equal(new SlotPlan([], NOW, 1, NOW + H).empty, true);
});

t.test('window helpers', async (t) => {
  const f = forecast([300, 100, 100, 300]);
  t.same(nextLowWindow(f, NOW, 150), { fromMs: NOW + H / 2, toMs: NOW + 3 * H / 2, meanGPerKWh: 100 });
  t.equal(nextLowWindow(f, NOW, 50), undefined);
});

t.test('far deadlines stay cheap to plan', async (t) => {
  const queue = Array.from({ length: 200 }, (_, i) => job(`far${i}`, { deadlineMs: Date.parse('2030-01-01T00:00:00Z'), expectedMs: 60e3 }));
  const started = performance.now();
  const d = decide(input({ queue }));
  t.ok(performance.now() - started < 2000, `decided in ${Math.round(performance.now() - started)} ms`);
  t.equal(d.run.length, 2);
});

t.test('the model session\'s threads follow the thermal state and the budget, not the meter', async (t) => {
  const loadedWith = (threads: number, over: Partial<PolicyInput> = {}) => decide(input({ ...over, model: { ...input().model, threads } }));
  t.equal(loadedWith(4).sessionThreads, 4, 'normal: full threads');
  t.equal(loadedWith(4).model, 'keep', 'already loaded with them');

  const soft = loadedWith(4, { temperatureC: 80, running: [job('b1'), job('l1', { priority: 'live' })], queue: [job('b2'), job('l2', { priority: 'live' })] });
  t.equal(soft.sessionThreads, 1, 'soft limit, two thirds into the band: one thread');
  t.same(soft.interrupt, [{ id: 'b1', reason: 'fewer threads' }], 'the running batch job is interrupted so the model can load again; live work is not');
  t.same(soft.run, ['l2'], 'no batch job starts on the old session meanwhile');
  t.match(soft.defer, [{ id: 'b2', reason: 'model to be loaded with fewer threads' }]);
  t.equal(soft.model, 'keep', 'not while jobs run on it');
  t.equal(loadedWith(4, { temperatureC: 80 }).model, 'retune', 'once idle, loaded again with fewer');

  const budget = { limits: { ...input().limits, powerBudgetWatts: 16 } };
  t.equal(loadedWith(4, budget).sessionThreads, 2, 'a budget of 16 W: (16 − 6) / 5 = 2 threads');
  t.equal(loadedWith(4, budget).model, 'retune');
  const metered = loadedWith(2, { ...budget, running: [job('b1')], power: { ...input().power, measuredWatts: 26, busyThreads: 2 } });
  t.equal(metered.threads, 1, 'the meter reading high lowers the planned threads');
  t.equal(metered.sessionThreads, 2, 'but not the session: its reading moves with the jobs themselves');
  t.same(metered.interrupt, [], 'and nothing is interrupted for it');
});

t.test('more threads only once the box is out of the soft band', async (t) => {
  const loadedWith1 = (over: Partial<PolicyInput>) => decide(input({ ...over, model: { ...input().model, threads: 1 } }));
  const inBand = loadedWith1({ temperatureC: 71, thermalState: 'soft' });
  t.equal(inBand.sessionThreads, 2, 'cooler within the band: two threads would do');
  t.equal(inBand.model, 'keep', 'but the model is not loaded again for every swing inside the band');
  t.equal(loadedWith1({ temperatureC: 60, thermalState: 'soft' }).model, 'retune', 'below soft − hysteresis: back to normal, loaded again with four');
  t.equal(loadedWith1({ temperatureC: 60, thermalState: 'soft' }).sessionThreads, 4);
  t.equal(loadedWith1({ temperatureC: 60, running: [job('b1')] }).model, 'keep', 'not under a running job');
  t.same(loadedWith1({ temperatureC: 60, running: [job('b1')] }).interrupt, [], 'which is not interrupted to get more threads');
});

t.test('live or interactive work starting now is not held up by loading the model again', async (t) => {
  // The scheduler loads the model again (retune) before it starts the pass's jobs, and a
  // load takes seconds: live speech would wait for it, and a job asking for the model
  // during the reload waits too. Its threads can change once nothing urgent starts.
  const loadedWith = (threads: number, over: Partial<PolicyInput> = {}) => decide(input({ ...over, model: { ...input().model, threads } }));
  const cool = loadedWith(1, { temperatureC: 50, queue: [job('l1', { priority: 'live' })] });
  t.same(cool.run, ['l1']);
  t.equal(cool.model, 'keep', 'more threads can wait: the live job runs on the session as it is');
  t.equal(loadedWith(1, { temperatureC: 50, queue: [job('i1', { priority: 'interactive' })] }).model, 'keep', 'so can an interactive job');
  t.equal(loadedWith(1, { temperatureC: 50, queue: [job('b1')] }).model, 'retune', 'a batch job alone: it starts on the new session');

  const warm = loadedWith(4, { temperatureC: 80, queue: [job('l1', { priority: 'live' }), job('b1')] });
  t.same(warm.run, ['l1'], 'the live job starts at once, on the session it finds');
  t.equal(warm.model, 'keep', 'fewer threads once it is done');
  t.match(warm.defer, [{ id: 'b1', reason: 'model to be loaded with fewer threads' }], 'while no batch job starts on the old session');
  t.equal(loadedWith(4, { temperatureC: 80, queue: [job('b1')] }).model, 'retune', 'nothing urgent: loaded again with fewer at once');
});

t.test('interactive work gets fewer threads too: it waits for the reload, and a running job is interrupted for it', async (t) => {
  // A recording taken from the fleet runs as interactive and can be an hour long: on the
  // old session it would keep the box hot, or over its budget, for all of it.
  const loadedWith = (threads: number, over: Partial<PolicyInput> = {}) => decide(input({ ...over, model: { ...input().model, threads } }));
  const alone = loadedWith(4, { temperatureC: 80, queue: [job('i1', { priority: 'interactive' })] });
  t.same(alone.run, ['i1'], 'it starts in this pass');
  t.equal(alone.model, 'retune', 'after the model is loaded again with fewer threads (the scheduler loads before it starts jobs)');
  const running = loadedWith(4, { temperatureC: 80, running: [job('i1', { priority: 'interactive' }), job('b1')], queue: [job('i2', { priority: 'interactive' })] });
  t.same(running.interrupt, [{ id: 'i1', reason: 'fewer threads' }, { id: 'b1', reason: 'fewer threads' }], 'the running interactive job stops at its next safe point, to resume on the new session');
  t.same(running.run, [], 'and none starts on the old session meanwhile');
  t.match(running.defer, [{ id: 'i2', reason: 'model to be loaded with fewer threads' }]);
  t.equal(running.model, 'keep', 'not while jobs run on it');
  const budget = loadedWith(4, { limits: { ...input().limits, powerBudgetWatts: 16 }, running: [job('i1', { priority: 'interactive' })] });
  t.same(budget.interrupt, [{ id: 'i1', reason: 'fewer threads' }], 'the same for an operator\'s power budget');
  const noThread = loadedWith(4, { limits: { ...input().limits, powerBudgetWatts: 5 }, running: [job('i1', { priority: 'interactive' }), job('b1')] });
  t.same(noThread.interrupt, [{ id: 'b1', reason: 'power budget' }, { id: 'i1', reason: 'fewer threads' }], 'and for a budget below one thread, which stops batch work altogether');
  t.same(loadedWith(2, { running: [job('i1', { priority: 'interactive' })] }).interrupt, [], 'nothing is interrupted to get more threads');
});

t.test('while live work runs or starts, interactive work keeps the session as it is: it could wait for an idle session for good', async (t) => {
  // Live speech is never held back, and overlapping live streams may never leave the
  // session idle for the reload: an interactive job (a fleet job, its offerer's lease
  // ticking) stopped or held for it could then wait indefinitely.
  const loadedWith = (threads: number, over: Partial<PolicyInput> = {}) => decide(input({ ...over, model: { ...input().model, threads } }));
  const liveRunning = loadedWith(4, { temperatureC: 80, running: [job('i1', { priority: 'interactive' }), job('l1', { priority: 'live' })] });
  t.same(liveRunning.interrupt, [], 'the running interactive job is not stopped');
  const queued = loadedWith(4, { temperatureC: 80, running: [job('l1', { priority: 'live' })], queue: [job('i2', { priority: 'interactive' }), job('b1')] });
  t.match(queued.defer, [{ id: 'i2', reason: 'no free slot' }, { id: 'b1', reason: 'model to be loaded with fewer threads' }], 'a queued one waits only for a slot, on the session as it is; batch work for the reload');
  const behindLive = loadedWith(4, { temperatureC: 80, queue: [job('l1', { priority: 'live' }), job('i1', { priority: 'interactive' })] });
  t.same(behindLive.run, ['l1'], 'live speech starting now starts on the session as it is');
  t.match(behindLive.defer, [{ id: 'i1', reason: 'no free slot' }], 'and the interactive job waits only for a slot');
  t.equal(behindLive.model, 'keep');
  const quiet = loadedWith(4, { temperatureC: 80, running: [job('i1', { priority: 'interactive' })] });
  t.same(quiet.interrupt, [{ id: 'i1', reason: 'fewer threads' }], 'once live work pauses, the interactive job is stopped for the reload');
});

t.test('a reload with fewer threads that has waited long for an idle session drains it: new live work waits a moment for it', async (t) => {
  // Overlapping live streams may never leave the session idle: without this the box would
  // stay at full threads, as hot or as far over its budget, for as long as they talk.
  const hotFor = (waitingMs: number, over: Partial<PolicyInput> = {}) => decide(input({ temperatureC: 80, ...over, model: { ...input().model, threads: 4, reloadWaitingMs: waitingMs } }));
  const live = (id: string, expectedMs = 500) => job(id, { priority: 'live', expectedMs });
  const early = hotFor(RELOAD_DRAIN_AFTER_MS - 1, { running: [live('l1')], queue: [live('l2')] });
  t.equal(early.reloadWanted, true);
  t.same(early.run, ['l2'], 'at first live work starts on the session as it is');
  t.equal(early.model, 'keep');

  const draining = hotFor(RELOAD_DRAIN_AFTER_MS, { running: [live('l1'), job('i1', { priority: 'interactive' })], queue: [live('l2'), job('i2', { priority: 'interactive' })] });
  t.same(draining.run, [], 'then new live work waits for the live work running now');
  t.match(draining.defer, [{ id: 'l2', reason: 'model being loaded with fewer threads' }, { id: 'i2', reason: 'model to be loaded with fewer threads' }]);
  t.same(draining.interrupt, [{ id: 'i1', reason: 'fewer threads' }], 'interactive work stops for the reload though live work runs');
  t.equal(draining.model, 'keep', 'not under running work');
  t.match(draining.reasons.join('\n'), /waited 10 s for an idle session: new live work waits for the reload/);

  const drained = hotFor(RELOAD_DRAIN_AFTER_MS + 500, { queue: [live('l2'), job('i2', { priority: 'interactive' })] });
  t.equal(drained.model, 'retune', 'once nothing runs, the model is loaded again though live work starts in this pass');
  t.same(drained.run, ['l2'], 'and the live work starts after it, on the new session (the scheduler loads before it starts jobs)');

  const longLive = hotFor(RELOAD_DRAIN_AFTER_MS, { running: [live('file', RELOAD_DRAIN_MAX_LIVE_MS + 1)], queue: [live('l2')] });
  t.same(longLive.run, ['l2'], 'a long live job running is not waited for: new live speech would wait with it');
  t.equal(hotFor(RELOAD_DRAIN_AFTER_MS, { temperatureC: 90, thermalState: 'hard', queue: [live('l2')] }).reloadWanted, false, 'at the hard limit there is nothing to reload for');
  t.same(hotFor(RELOAD_DRAIN_AFTER_MS, { temperatureC: 90, thermalState: 'hard', running: [live('l1')], queue: [live('l2')] }).run, ['l2'], 'and live work is not held back');
});

t.test('a session that can be loaded again in place is, at once, under running work: nothing waits or stops for it', async (t) => {
  const inPlace = (threads: number, over: Partial<PolicyInput> = {}, memoryPressure = false) =>
    decide(input({ ...over, model: { ...input().model, threads, reloadsInPlace: true, memoryPressure } }));
  const busy = { temperatureC: 80, running: [job('b1'), job('i1', { priority: 'interactive' }), job('l1', { priority: 'live' })], queue: [job('l2', { priority: 'live' }), job('b2')] };
  const soft = inPlace(4, busy);
  t.equal(soft.model, 'retune', 'loaded again with fewer threads under the running jobs');
  t.equal(soft.sessionThreads, 1);
  t.same(soft.interrupt, [], 'none interrupted: each moves to the new session at its next batch');
  t.same(soft.run, ['l2'], 'live work starts');
  t.notOk(soft.defer.some((d) => /fewer threads/.test(d.reason)), 'nothing deferred for the reload');
  t.equal(soft.reloadWanted, false, 'and no drain is ever needed');
  t.equal(inPlace(1, { temperatureC: 50, running: [job('b1')] }).model, 'retune', 'back to more threads once cool, under running work too');
  t.equal(inPlace(1, { temperatureC: 60, thermalState: 'soft', running: [job('b1')] }).model, 'retune', 'below soft − hysteresis');
  t.equal(inPlace(1, { temperatureC: 71, thermalState: 'soft' }).model, 'keep', 'not for every swing inside the band');
  const tight = inPlace(4, busy, true);
  t.same(tight.interrupt, [{ id: 'b1', reason: 'fewer threads' }], 'under memory pressure (no room for a second session) it waits for an idle session, as before (interactive work goes on while live work runs)');
  t.equal(tight.model, 'keep');
  const noRoom = decide(input({ ...busy, model: { ...input().model, threads: 4, reloadsInPlace: true, memoryPressure: false, secondSessionFits: false } }));
  t.same(noRoom.interrupt, [{ id: 'b1', reason: 'fewer threads' }], 'not under pressure, but a second session would bring it: loaded again once idle');
  t.equal(noRoom.model, 'keep');
  t.ok(noRoom.reasons.some((r) => /loaded again once idle \(no room in memory for a second session beside it\)/.test(r)), noRoom.reasons.join('; '));
  const roomy = decide(input({ ...busy, model: { ...input().model, threads: 4, reloadsInPlace: true, memoryPressure: false, secondSessionFits: true } }));
  t.equal(roomy.model, 'retune', 'with room for it, in place');
});
