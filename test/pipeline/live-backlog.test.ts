import t from 'tap';
import { connect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesDir, tempDir } from '../helpers/paths.js';
import { pcmOf } from '../helpers/malformed-audio.js';
import { EventBus } from '../../daemon/bus.js';
import { LogSink, silentLogger } from '../../daemon/log/logger.js';
import { JobQueue } from '../../daemon/scheduler/job-queue.js';
import { SegmentStore } from '../../daemon/pipeline/segment-store.js';
import { CaptureService } from '../../daemon/pipeline/capture-service.js';

const speech = pcmOf(readFileSync(join(fixturesDir, 'audio', 'speech-silence-speech.wav')));
const quiet = Buffer.alloc(16000 * 2);

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

t.test('a live sender faster than transcription fills at most maxLiveBacklog jobs; reading waits until they are done, and nothing is lost', async (t) => {
  const dir = tempDir('earshot-backlog-');
  const path = join(dir, 'mic.sock');
  const lines: string[] = [];
  const logger = new LogSink({ level: 'info', format: 'text', write: (l) => void lines.push(l) }).logger('sources');
  const queue = new JobQueue({ dir: join(dir, 'queue'), logger: silentLogger, defaultDeadlineHours: 24, maxAttempts: 3 });
  await queue.start();
  const bus = new EventBus();
  const capture = new CaptureService({
    sources: [{ id: 'mic', type: 'socket', path, format: { encoding: 's16le', sampleRate: 16000, channels: 1 } }],
    vad: { detector: 'energy' },
    queue,
    segments: new SegmentStore(join(dir, 'segments')),
    bus,
    poke: () => undefined,
    logger,
    maxLiveBacklog: 4,
  });
  await capture.start();
  t.teardown(async () => {
    await capture.stop();
    await queue.stop();
  });

  // Ten recordings' worth at once, as fast as the socket takes it: about 20 stretches of speech.
  const sender = await new Promise<Socket>((resolve, reject) => {
    const s = connect(path);
    s.once('connect', () => resolve(s)).once('error', reject);
  });
  const rounds = 10;
  const sent = new Promise<void>((resolve) => sender.end(Buffer.concat(Array.from({ length: rounds }, () => Buffer.concat([speech, quiet]))), resolve));
  const live = () => queue.pending().filter((j) => j.sourceId === 'mic');
  await until('the backlog to fill', () => live().length >= 4);
  await new Promise((r) => setTimeout(r, 500));
  t.equal(live().length, 4, 'no more than maxLiveBacklog live jobs wait');
  t.equal(lines.filter((l) => /live source mic gives speech faster than it is transcribed/.test(l)).length, 1, 'said once');

  // The box catches up: each job done lets one more segment in, until all of it is queued.
  let finished = 0;
  let quietFor = 0;
  while (quietFor < 20) {
    const next = live()[0];
    if (!next) {
      quietFor++;
      await new Promise((r) => setTimeout(r, 100));
      continue;
    }
    quietFor = 0;
    t.ok(live().length <= 4, 'the backlog stays capped');
    // What the scheduler does with a job: run it, record it, say so on the bus.
    const job = await queue.markStarted(next.id);
    await queue.complete(next.id, { output: null });
    bus.emit('jobDone', { job, result: { output: null } });
    finished++;
  }
  await sent;
  t.ok(finished >= 2 * rounds, `every stretch of speech became a job in the end (${finished} for ${rounds} recordings of two stretches each)`);
});
