import t, { type Test } from 'tap';
import { connect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesDir, tempDir } from '../helpers/paths.js';
import { pcmOf } from '../helpers/malformed-audio.js';
import { EventBus } from '../../daemon/bus.js';
import { LogSink, silentLogger } from '../../daemon/log/logger.js';
import { JobQueue } from '../../daemon/scheduler/job-queue.js';
import { SegmentStore } from '../../daemon/pipeline/segment-store.js';
import { CaptureService, type CaptureServiceOptions } from '../../daemon/pipeline/capture-service.js';

const speech = pcmOf(readFileSync(join(fixturesDir, 'audio', 'speech-silence-speech.wav')));
const quiet = Buffer.alloc(16000 * 2);

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Connects to the source's socket and sends `rounds` recordings' worth at once, as fast as the socket takes it. */
async function flood(path: string, rounds: number): Promise<void> {
  const sender = await new Promise<Socket>((resolve, reject) => {
    const s = connect(path);
    s.once('connect', () => resolve(s)).once('error', reject);
  });
  await new Promise<void>((resolve) => sender.end(Buffer.concat(Array.from({ length: rounds }, () => Buffer.concat([speech, quiet]))), resolve));
}

/**
 * A real CaptureService on socket sources (`caps`: id → maxQueuedSegments) over a real job
 * queue in a temp folder; nothing runs the jobs, so the test plays the scheduler. Stopped at the end.
 */
async function startCapture(t: Test, caps: Record<string, number>, extra: Partial<CaptureServiceOptions> = {}) {
  const dir = tempDir('earshot-backlog-');
  const lines: string[] = [];
  const logger = new LogSink({ level: 'info', format: 'text', write: (l) => void lines.push(l) }).logger('sources');
  const queue = new JobQueue({ dir: join(dir, 'queue'), logger: silentLogger, defaultDeadlineHours: 24, maxAttempts: 3 });
  await queue.start();
  const bus = new EventBus();
  const format = { encoding: 's16le', sampleRate: 16000, channels: 1 } as const;
  const capture = new CaptureService({
    sources: Object.entries(caps).map(([id, max]) => ({ id, type: 'socket', path: join(dir, `${id}.sock`), format, maxQueuedSegments: max })),
    vad: { detector: 'energy' },
    queue,
    segments: new SegmentStore(join(dir, 'segments')),
    bus,
    poke: () => undefined,
    logger,
    ...extra,
  });
  await capture.start();
  t.teardown(async () => {
    await capture.stop();
    await queue.stop();
  });
  return { dir, lines, queue, bus };
}

t.test("live senders faster than transcription fill at most their own source's maxQueuedSegments jobs; reading waits until they are done, and nothing is lost", async (t) => {
  // Two sources with caps of their own: each is held to its own.
  const caps: Record<string, number> = { mic: 4, desk: 2 };
  const ids = Object.keys(caps);
  const { dir, lines, queue, bus } = await startCapture(t, caps);

  // Ten recordings' worth to each source: about 20 stretches of speech each.
  const rounds = 10;
  const sent = Promise.all(ids.map((id) => flood(join(dir, `${id}.sock`), rounds)));
  const waiting = (id: string) => queue.pending().filter((j) => j.sourceId === id);
  await until('the backlogs to fill', () => ids.every((id) => waiting(id).length >= caps[id]!));
  await new Promise((r) => setTimeout(r, 500));
  for (const id of ids) {
    t.equal(waiting(id).length, caps[id], `no more than ${id}'s maxQueuedSegments live jobs wait`);
    const said = new RegExp(`live source ${id} gives speech faster than it is transcribed: ${caps[id]} segments wait \\(sources \\(id "${id}"\\)\\.maxQueuedSegments\\)`);
    t.equal(lines.filter((l) => said.test(l)).length, 1, `said once for ${id}, naming the setting`);
  }

  // The box catches up: each job done lets one more segment in, until all of it is queued.
  const finished: Record<string, number> = Object.fromEntries(ids.map((id) => [id, 0]));
  let quietFor = 0;
  while (quietFor < 20) {
    const next = queue.pending().find((j) => j.sourceId !== undefined && j.sourceId in caps);
    if (!next) {
      quietFor++;
      await new Promise((r) => setTimeout(r, 100));
      continue;
    }
    quietFor = 0;
    for (const id of ids) if (waiting(id).length > caps[id]!) t.fail(`${id}'s backlog went past its cap: ${waiting(id).length}`);
    // What the scheduler does with a job: run it, record it, say so on the bus.
    const job = await queue.markStarted(next.id);
    await queue.complete(next.id, { output: null });
    bus.emit('jobDone', { job, result: { output: null } });
    finished[next.sourceId!]!++;
  }
  await sent;
  for (const id of ids) t.ok(finished[id]! >= 2 * rounds, `every stretch of speech from ${id} became a job in the end (${finished[id]} for ${rounds} recordings of two stretches each)`);
});

t.test('a backlog held because no job can run says why, and does not blame the sender', async (t) => {
  const { dir, lines } = await startCapture(t, { mic: 2 }, { whyNoJobRuns: () => 'plugins.required names redact, which is disabled' });
  void flood(join(dir, 'mic.sock'), 3).catch(() => undefined);
  await until('the backlog to fill', () => lines.some((l) => l.includes('live source mic')));
  const said = lines.find((l) => l.includes('live source mic'))!;
  t.match(said, 'live source mic: 2 segments wait (sources (id "mic").maxQueuedSegments) because no job can run: plugins.required names redact, which is disabled; reading from it pauses until they can');
  t.notMatch(said, /faster than real time/, 'the sender is not blamed');
});
