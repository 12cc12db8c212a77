import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { dropRecording } from '../helpers/faults.js';
import { runCli } from '../helpers/daemon-process.js';
import { fixturesDir, tempDir } from '../helpers/paths.js';
import { startSpoolDaemon } from '../helpers/spool-daemon.js';

/**
 * Whoever copies a batch of recordings into a spool folder runs `earshot jobs wait` and then
 * exports. It waited only for the jobs queued when it started: the daemon reads a folder one
 * recording at a time, so with 60 dropped it saw the few already read, said "2 done" and
 * exited 0 while most recordings were still in the folder, never transcribed yet.
 */
t.test('jobs wait without ids waits for the recordings in spool folders not read yet, and their jobs', async (t) => {
  const root = tempDir('earshot-wait-spool-');
  // Read only once settled for 3 s: none is read before jobs wait starts, whatever the box's speed.
  const spoolDaemon = await startSpoolDaemon(t, root, 'backlog', { sources: [{ id: 'desk', type: 'spool', dir: join(root, 'spool'), settleMs: 3000, pollMs: 100 }] });
  const { daemon, spool } = spoolDaemon;
  const recordings = 60;
  // Each a second apart by its mtime (copies of one recording with the same times are one
  // recording), stamped ahead as by a writer whose clock runs fast: each then settles 3 s after
  // the daemon first sees it, not by its mtime.
  const clip = readFileSync(join(fixturesDir, 'audio', 'speech-silence-speech.wav'));
  const ahead = Math.floor(Date.now() / 1000) + 600;
  for (let i = 0; i < recordings; i++) dropRecording(spool, `call-${String(i).padStart(2, '0')}.wav`, clip, ahead + i);

  const wait = await runCli(['jobs', 'wait', '--socket', daemon.socket, '--interval', '1', '--timeout', '2m']);
  t.equal(wait.code, 0, wait.stderr);
  t.same(readdirSync(spool).filter((n) => n.endsWith('.wav')), [], 'no recording left in the folder when it returns');
  const list = JSON.parse((await runCli(['jobs', 'list', '--socket', daemon.socket, '--json', '--limit', '0'])).stdout) as { counts: { pending: number; running: number; done: number }; recordingsWaiting: number };
  t.same(list.counts, { pending: 0, running: 0, done: recordings * 2, failed: 0 }, 'every stretch of speech of every recording transcribed');
  t.equal(list.recordingsWaiting, 0);
  t.match(wait.stdout, new RegExp(`^${recordings * 2} done, 0 failed$`, 'm'), 'and says so, counting the jobs made and done between two of its checks');
  await spoolDaemon.stop();
});
