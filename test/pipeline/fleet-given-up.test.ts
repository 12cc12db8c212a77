import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesDir, tempDir } from '../helpers/paths.js';
import { LogSink } from '../../daemon/log/logger.js';
import { EventBus } from '../../daemon/bus.js';
import { JobQueue } from '../../daemon/scheduler/job-queue.js';
import { FleetBridge } from '../../daemon/pipeline/fleet-bridge.js';
import { encodeFleetJob } from '../../daemon/pipeline/fleet-job.js';
import { PAYLOAD_VERSION } from '../../daemon/mqtt/payloads/status.js';
import type { FleetJobGivenUp } from '../../daemon/mqtt/fleet/fleet-worker.js';
import type { Scheduler } from '../../daemon/scheduler/scheduler.js';

/**
 * A job this box took from the fleet, cut off by the daemon's stop, cannot resume here (the
 * next start clears the inbox, since its offerer offers it again once this box is offline).
 * It must end failed here with that said, not fail later as "file not found", and end its
 * run as given up, not handed back (the box's going offline has the offerer offer it again;
 * an error would be taken for the job's result; test/mqtt/fleet/fleet-given-up.test.ts).
 * The same for one still queued when the daemon stops. One the thermal limit interrupts is
 * given up and handed back (waiting to cool could outlast the offerer's lease), and so are
 * those still queued when the box gets that hot, or granted while it is; and the same while
 * the box cannot transcribe at all (a required plugin not running, its model not loadable).
 */
t.test('a taken fleet job interrupted by the stop is given up here, unanswered', async (t) => {
  const dataDir = tempDir('earshot-fleet-given-up-');
  const lines: string[] = [];
  const logger = new LogSink({ level: 'info', format: 'text', write: (l) => void lines.push(l) }).logger('fleet');
  const queue = new JobQueue({ dir: join(dataDir, 'queue'), logger, defaultDeadlineHours: 24, maxAttempts: 3 });
  const bus = new EventBus();
  /** What the bridge reads of the scheduler: its thermal state (the scheduler's tests drive the real one). */
  let thermalState: 'normal' | 'hard' = 'normal';
  const scheduler = () => ({ thermalState, state: () => ({ state: 'running' }), poke: () => undefined }) as unknown as Scheduler;
  /** Why the box cannot transcribe (a required plugin not running, its model not loadable), when it cannot. */
  let cannotWork: string | undefined;
  const bridge = new FleetBridge({ siteId: 'taker', dataDir, queue, scheduler, cannotWork: () => cannotWork, offerer: () => { throw new Error('not offering'); }, bus, logger, fleet: { maxAudioBytes: 1 << 20, maxOutstandingBytes: 1 << 20, claimTimeoutSec: 60, maxHeld: 2 } });
  await bridge.start();
  await queue.start();
  t.teardown(async () => {
    await bridge.stop();
    await queue.stop();
  });

  const wav = readFileSync(join(fixturesDir, 'audio', 'speech-silence-speech.wav'));
  const offer = { v: PAYLOAD_VERSION, jobId: 'hq-meeting', offeredBy: 'hq', attempt: 1, job: { ...encodeFleetJob('meeting.wav', wav, 1 << 20, Date.now()) }, ts: new Date().toISOString(), claimBy: new Date(Date.now() + 60_000).toISOString() };
  let answered: string | undefined;
  let handBack: boolean | undefined;
  void bridge.runJob(offer).then(
    () => (answered = 'result'),
    (err: FleetJobGivenUp) => ((answered = err.name), (handBack = err.handBack)),
  );
  const localId = 'hq-meeting.a1';
  while (queue.pending().length === 0) await new Promise((r) => setTimeout(r, 10));

  // What the scheduler does when the stop's grace is over: the run ends, the job goes back.
  const job = await queue.markStarted(localId);
  await queue.postpone(localId);
  bus.emit('jobInterrupted', { job, stopping: true });
  while ((await queue.get(localId))?.state !== 'failed') await new Promise((r) => setTimeout(r, 10));

  const failed = await queue.failedRecords();
  t.match(failed, [{ job: { id: localId }, error: /fleet job given up: this box stopped before finishing it; its offerer offers it again once this box is offline/ }]);
  t.match(lines.join('\n'), /fleet job given up.*localId=hq-meeting\.a1/);
  while (answered === undefined) await new Promise((r) => setTimeout(r, 10));
  t.equal(answered, 'FleetJobGivenUp', 'the run ends so, not with an error (which would be the job\'s result)');
  t.equal(handBack, false, 'and not handed back: the box going offline has it offered again');
  t.same(readdirSync(join(dataDir, 'fleet', 'inbox')), [], 'its audio is removed from the inbox');
  t.equal((bridge as unknown as { taking: Set<string> }).taking.size, 0, 'and its slot is free for the next fleet job (hasBudget counts the taken ones)');

  // Interrupted by the thermal limit, it is given up too: waiting to cool could outlast the lease.
  const offer2 = { ...offer, jobId: 'hq-call' };
  const second = bridge.runJob(offer2).catch((err: FleetJobGivenUp) => err);
  while (!queue.pending().some((j) => j.id === 'hq-call.a1')) await new Promise((r) => setTimeout(r, 10));
  const job2 = await queue.markStarted('hq-call.a1');
  await queue.postpone('hq-call.a1');
  bus.emit('jobInterrupted', { job: job2, stopping: false, reason: 'thermal hard limit' });
  while ((await queue.get('hq-call.a1'))?.state !== 'failed') await new Promise((r) => setTimeout(r, 10));
  t.match((await queue.failedRecords()).find((f) => f.job.id === 'hq-call.a1'), { error: /fleet job given up: interrupted here at the thermal hard limit; handed back to its offerer, which offers it again/ });
  t.match(await second, { name: 'FleetJobGivenUp', handBack: true }, 'handed back: a cooler box can take it now');

  // Interrupted to load the model again with fewer threads (the soft limit, a budget): it
  // resumes here in a moment, so it is kept, and its result goes to its offerer as usual.
  let resumedAnswer: unknown;
  const resumed = bridge.runJob({ ...offer, jobId: 'hq-soft' }).then((r) => (resumedAnswer = r), (err: unknown) => (resumedAnswer = err));
  while (!queue.pending().some((j) => j.id === 'hq-soft.a1')) await new Promise((r) => setTimeout(r, 10));
  const job3 = await queue.markStarted('hq-soft.a1');
  await queue.postpone('hq-soft.a1');
  bus.emit('jobInterrupted', { job: job3, stopping: false, reason: 'fewer threads' });
  await new Promise((r) => setTimeout(r, 200));
  t.equal((await queue.get('hq-soft.a1'))?.state, 'pending', 'not given up: it waits in the queue to resume');
  t.equal(resumedAnswer, undefined, 'its offerer gets no answer yet');
  t.ok(readdirSync(join(dataDir, 'fleet', 'inbox')).length > 0, 'its audio stays in the inbox');
  const outcome = { text: 'hello', transcripts: [], audioSec: 1, speechSec: 1, processingMs: 5, joules: 0 };
  await queue.markStarted('hq-soft.a1');
  await queue.complete('hq-soft.a1', { output: outcome });
  bus.emit('jobDone', { job: job3, result: outcome });
  await resumed;
  t.match(resumedAnswer, { localJobId: 'hq-soft.a1', text: 'hello' }, 'once resumed and done, the result goes back as for any job');

  // Stopped for fewer threads, but the box reached its hard limit before the job got to its
  // safe point: it would wait to cool, so it is handed back after all.
  const cooling = bridge.runJob({ ...offer, jobId: 'hq-heating' }).catch((err: FleetJobGivenUp) => err);
  while (!queue.pending().some((j) => j.id === 'hq-heating.a1')) await new Promise((r) => setTimeout(r, 10));
  const job4 = await queue.markStarted('hq-heating.a1');
  await queue.postpone('hq-heating.a1');
  thermalState = 'hard';
  bus.emit('jobInterrupted', { job: job4, stopping: false, reason: 'fewer threads' });
  t.match(await cooling, { name: 'FleetJobGivenUp', handBack: true });
  thermalState = 'normal';

  // Queued, not started, when the box reaches the hard limit: handed back at once.
  const queued = bridge.runJob({ ...offer, jobId: 'hq-queued' }).catch((err: FleetJobGivenUp) => err);
  while (!queue.pending().some((j) => j.id === 'hq-queued.a1')) await new Promise((r) => setTimeout(r, 10));
  thermalState = 'hard';
  bus.emit('thermalState', { state: 'hard', temperatureC: 90 });
  t.match(await queued, { name: 'FleetJobGivenUp', handBack: true, message: /reached its thermal hard limit before starting it/ });
  while ((await queue.get('hq-queued.a1'))?.state !== 'failed') await new Promise((r) => setTimeout(r, 10));
  // Granted while the box is that hot (the worker held it for a slot): straight back, not queued.
  t.match(await bridge.runJob({ ...offer, jobId: 'hq-late' }).catch((err: FleetJobGivenUp) => err), { name: 'FleetJobGivenUp', handBack: true });
  t.equal(await queue.get('hq-late.a1'), undefined, 'never queued here');
  thermalState = 'normal';

  // Queued while the box could work; then it cannot (a plugin plugins.required names was set
  // aside, say: the scheduler starts no job). Waiting here would outlast the lease, and the
  // job would run here as well as on the box it is then offered to: handed back at the next
  // scheduler pass (once, though two passes find it), and straight back when granted meanwhile.
  const pass = () => bus.emit('schedulerDecision', { decision: {}, model: {}, intensity: {} } as never);
  const held = bridge.runJob({ ...offer, jobId: 'hq-held' }).catch((err: FleetJobGivenUp) => err);
  while (!queue.pending().some((j) => j.id === 'hq-held.a1')) await new Promise((r) => setTimeout(r, 10));
  pass();
  await new Promise((r) => setTimeout(r, 100));
  t.equal((await queue.get('hq-held.a1'))?.state, 'pending', 'kept while the box can work');
  cannotWork = 'required plugin earshot-plugin-redact did not run (disabled)';
  pass();
  pass();
  t.match(await held, { name: 'FleetJobGivenUp', handBack: true, message: /cannot transcribe now \(required plugin earshot-plugin-redact did not run \(disabled\)\)/ });
  while ((await queue.get('hq-held.a1'))?.state !== 'failed') await new Promise((r) => setTimeout(r, 10));
  t.equal(lines.filter((l) => /cannot transcribe now.*localId=hq-held\.a1/.test(l)).length, 1, 'given up once');
  t.match(await bridge.runJob({ ...offer, jobId: 'hq-held-late' }).catch((err: FleetJobGivenUp) => err), { name: 'FleetJobGivenUp', handBack: true });
  t.equal(await queue.get('hq-held-late.a1'), undefined, 'never queued here');
  cannotWork = undefined;

  // Taken and still queued (never started) when the daemon stops: given up by the bridge's stop.
  const offer3 = { ...offer, jobId: 'hq-memo' };
  void bridge.runJob(offer3).catch(() => undefined);
  while (!queue.pending().some((j) => j.id === 'hq-memo.a1')) await new Promise((r) => setTimeout(r, 10));
  await bridge.stop();
  t.equal((await queue.get('hq-memo.a1'))?.state, 'failed', 'not left to fail as "file not found" at the next start');
  t.same(readdirSync(join(dataDir, 'queue', 'failed')).sort(), ['hq-call.a1.json', 'hq-heating.a1.json', 'hq-held.a1.json', 'hq-meeting.a1.json', 'hq-memo.a1.json', 'hq-queued.a1.json']);
});
