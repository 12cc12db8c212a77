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

/**
 * A job this box took from the fleet, cut off by the daemon's stop, cannot resume here (the
 * next start clears the inbox, since its offerer offers it again once this box is offline).
 * It must end failed here with that said, not fail later as "file not found", and end its
 * run as given up, which the worker answers with nothing (an error would be taken for the
 * job's result; test/mqtt/fleet/fleet-given-up.test.ts). The same for one the
 * thermal limit interrupts (waiting to cool could outlast the offerer's lease), and for one
 * still queued when the daemon stops.
 */
t.test('a taken fleet job interrupted by the stop is given up here, unanswered', async (t) => {
  const dataDir = tempDir('earshot-fleet-given-up-');
  const lines: string[] = [];
  const logger = new LogSink({ level: 'info', format: 'text', write: (l) => void lines.push(l) }).logger('fleet');
  const queue = new JobQueue({ dir: join(dataDir, 'queue'), logger, defaultDeadlineHours: 24, maxAttempts: 3 });
  const bus = new EventBus();
  const bridge = new FleetBridge({ siteId: 'taker', dataDir, queue, scheduler: () => undefined, offerer: () => { throw new Error('not offering'); }, bus, logger, fleet: { maxAudioBytes: 1 << 20, maxOutstandingBytes: 1 << 20, claimTimeoutSec: 60, maxHeld: 2 } });
  await bridge.start();
  await queue.start();
  t.teardown(async () => {
    await bridge.stop();
    await queue.stop();
  });

  const wav = readFileSync(join(fixturesDir, 'audio', 'speech-silence-speech.wav'));
  const offer = { v: PAYLOAD_VERSION, jobId: 'hq-meeting', offeredBy: 'hq', attempt: 1, job: { ...encodeFleetJob('meeting.wav', wav, 1 << 20) }, ts: new Date().toISOString(), claimBy: new Date(Date.now() + 60_000).toISOString() };
  let answered: string | undefined;
  void bridge.runJob(offer).then(
    () => (answered = 'result'),
    (err: Error) => (answered = err.name),
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
  t.equal(answered, 'FleetJobGivenUp', 'the run ends so, which the worker answers with a release, not an error (an error would be the job\'s result)');
  t.same(readdirSync(join(dataDir, 'fleet', 'inbox')), [], 'its audio is removed from the inbox');
  t.equal((bridge as unknown as { taking: Set<string> }).taking.size, 0, 'and its slot is free for the next fleet job (hasBudget counts the taken ones)');

  // Interrupted by the thermal limit, it is given up too: waiting to cool could outlast the lease.
  const offer2 = { ...offer, jobId: 'hq-call' };
  void bridge.runJob(offer2).catch(() => undefined);
  while (!queue.pending().some((j) => j.id === 'hq-call.a1')) await new Promise((r) => setTimeout(r, 10));
  const job2 = await queue.markStarted('hq-call.a1');
  await queue.postpone('hq-call.a1');
  bus.emit('jobInterrupted', { job: job2, stopping: false });
  while ((await queue.get('hq-call.a1'))?.state !== 'failed') await new Promise((r) => setTimeout(r, 10));
  t.match((await queue.failedRecords()).find((f) => f.job.id === 'hq-call.a1'), { error: /fleet job given up: interrupted here at the thermal hard limit; handed back to its offerer, which offers it again/ });

  // Taken and still queued (never started) when the daemon stops: given up by the bridge's stop.
  const offer3 = { ...offer, jobId: 'hq-memo' };
  void bridge.runJob(offer3).catch(() => undefined);
  while (!queue.pending().some((j) => j.id === 'hq-memo.a1')) await new Promise((r) => setTimeout(r, 10));
  await bridge.stop();
  t.equal((await queue.get('hq-memo.a1'))?.state, 'failed', 'not left to fail as "file not found" at the next start');
  t.same(readdirSync(join(dataDir, 'queue', 'failed')).sort(), ['hq-call.a1.json', 'hq-meeting.a1.json', 'hq-memo.a1.json']);
});
