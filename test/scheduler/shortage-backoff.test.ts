import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/paths.js';
import { LogSink } from '../../daemon/log/logger.js';
import { FrameEnergyRuntime, writeToneWav } from './helpers/frame-energy-runtime.js';
import { startOneJobScheduler } from './helpers/one-job-scheduler.js';
import { DecoderStopped } from '../../daemon/audio/decoder-stopped.js';

/**
 * A job that meets a shortage of the box (here EMFILE) is not its own fault: it must not be
 * failed, must not use up its attempts (a restart would then fail it as a crash loop), and
 * must not be started again at once — the scheduler would spin on it, a durable write and a
 * log line each time. It waits 1 s, 2 s, 4 s … and runs once the shortage is over.
 */
t.test('a job that meets a shortage waits longer each time, keeps its attempts, and runs once it ends', async (t) => {
  const dir = tempDir('earshot-shortage-');
  await writeToneWav(join(dir, 'a.wav'), 0.5, [[0.1, 0.2]]);
  let shortage = true;
  let tries = 0;
  const runtime = new FrameEnergyRuntime(0, () => {
    tries++;
    if (shortage) throw Object.assign(new Error('EMFILE: too many open files, open a.wav'), { code: 'EMFILE' });
  });
  const lines: string[] = [];
  const logger = new LogSink({ level: 'warn', format: 'text', write: (line) => void lines.push(line) }).logger('scheduler');
  const { bus, queue, scheduler, done, failed } = await startOneJobScheduler(t, { dir, runtime, logger });

  await queue.submit({ id: 'j1', input: join(dir, 'a.wav'), priority: 'interactive' });
  scheduler.poke();
  await new Promise((r) => setTimeout(r, 2500));
  t.ok(tries >= 2 && tries <= 3, `tried ${tries} times in 2.5 s (at once, after 1 s, after 2 s more), not in a loop`);
  t.same(failed, [], 'not failed');
  const onDisk = JSON.parse(readFileSync(join(dir, 'queue', 'pending', 'j1.json'), 'utf8')) as { attempts: number };
  t.equal(onDisk.attempts, 0, 'the tries did not count as attempts on disk');
  t.match(lines.join('\n'), /job postponed: out of a resource \(EMFILE\); it runs again in 1 s[^]*runs again in 2 s/, 'each postponement says when it runs again');

  shortage = false;
  const until = Date.now() + 8000;
  while (!done.includes('j1') && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  t.same(done, ['j1'], 'done once the shortage is over');
});

t.test('a job whose decoder is stopped by a signal is postponed, uncounted, but failed the fourth time in a row', async (t) => {
  // One such stop comes with a stop of the daemon; one every time (a CPU time limit on
  // ffmpeg ends it the same way) would otherwise be decoded and retried for ever.
  const dir = tempDir('earshot-decoder-stops-');
  await writeToneWav(join(dir, 'a.wav'), 0.5, [[0.1, 0.2]]);
  let tries = 0;
  const runtime = new FrameEnergyRuntime(0, (job) => {
    tries++;
    throw new DecoderStopped(job.input, 'SIGXCPU? (exit 255)');
  });
  const logger = new LogSink({ level: 'warn', format: 'text', write: () => undefined }).logger('scheduler');
  const { queue, scheduler, failed } = await startOneJobScheduler(t, { dir, runtime, logger });
  await queue.submit({ id: 'j1', input: join(dir, 'a.wav'), priority: 'interactive' });
  scheduler.poke();
  // Waits of 1, 2 and 4 s between the tries.
  for (let i = 0; i < 400 && failed.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
  t.equal(tries, 4, 'three postponements, then failed');
  t.same(failed, ['j1']);
  t.match((await queue.failedRecords())[0], { job: { attempts: 1 }, error: /ffmpeg was stopped by .*; but it was stopped 4 times in a row, so it is failed rather than tried again/ });
});
