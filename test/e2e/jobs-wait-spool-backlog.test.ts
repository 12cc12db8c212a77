import t from 'tap';
import { readFileSync, readdirSync, renameSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, startCli, waitFor } from '../helpers/daemon-process.js';
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
  const spoolDaemon = await startSpoolDaemon(t, root, 'backlog');
  const { daemon, spool } = spoolDaemon;
  const recordings = 60;
  const names = Array.from({ length: recordings }, (_, i) => `call-${String(i).padStart(2, '0')}.wav`);
  // Copies still running when jobs wait starts (NAME.part until whole): none can be read, and
  // done, before its first look, whatever the box's speed.
  const clip = readFileSync(join(fixturesDir, 'audio', 'speech-silence-speech.wav'));
  for (const name of names) writeFileSync(join(spool, `${name}.part`), clip);

  const wait = startCli(['jobs', 'wait', '--socket', daemon.socket, '--interval', '1', '--timeout', '2m']);
  await waitFor(() => wait.stderr().includes('waiting for'), 30_000, 'jobs wait to look');
  t.match(wait.stderr(), `waiting for 0 jobs and ${recordings} recordings in spool folders not read yet`, 'it says what it waits for');
  // Each a second apart by its mtime (copies of one recording with the same times are one
  // recording), stamped ahead as by a writer whose clock runs fast.
  const ahead = Math.floor(Date.now() / 1000) + 600;
  names.forEach((name, i) => {
    utimesSync(join(spool, `${name}.part`), ahead + i, ahead + i);
    renameSync(join(spool, `${name}.part`), join(spool, name));
  });
  const waited = await wait.result;
  t.equal(waited.code, 0, waited.stderr);
  t.same(readdirSync(spool).filter((n) => n.endsWith('.wav')), [], 'no recording left in the folder when it returns');
  const list = JSON.parse((await runCli(['jobs', 'list', '--socket', daemon.socket, '--json', '--limit', '0'])).stdout) as { counts: { pending: number; running: number; done: number }; recordingsWaiting: number };
  t.same(list.counts, { pending: 0, running: 0, done: recordings * 2, failed: 0 }, 'every stretch of speech of every recording transcribed');
  t.equal(list.recordingsWaiting, 0);
  t.match(waited.stdout, new RegExp(`^${recordings * 2} done, 0 failed$`, 'm'), 'and says so, counting the jobs made and done between two of its checks');
  await spoolDaemon.stop();
});

/**
 * A copy still running when jobs wait starts has its writer's name: `NAME.part` (renamed when
 * whole), or rsync's `.NAME.XXXXXX`. jobs wait counted neither, saw nothing to wait for and
 * exited 0 before the copy ended. A `.part` left by a transfer abandoned long ago is not waited for.
 */
t.test('jobs wait without ids waits for recordings still being copied in, not for a copy abandoned long ago', async (t) => {
  const root = tempDir('earshot-wait-copying-');
  const spoolDaemon = await startSpoolDaemon(t, root, 'copying');
  const { daemon, spool } = spoolDaemon;
  const clip = readFileSync(join(fixturesDir, 'audio', 'speech-silence-speech.wav'));
  const abandoned = join(spool, 'old.wav.part');
  writeFileSync(abandoned, clip.subarray(0, 1000));
  const anHourAgo = Date.now() / 1000 - 3600;
  utimesSync(abandoned, anHourAgo, anHourAgo);
  const copies = [
    { writing: join(spool, 'late.wav.part'), done: join(spool, 'late.wav') },
    { writing: join(spool, '.rsynced.wav.k3JdQ2'), done: join(spool, 'rsynced.wav') },
    { writing: join(spool, '.syncthing.synced.wav.tmp'), done: join(spool, 'synced.wav') },
  ];
  for (const c of copies) writeFileSync(c.writing, clip);

  let returned = false;
  const waiting = runCli(['jobs', 'wait', '--socket', daemon.socket, '--interval', '1', '--timeout', '2m']).finally(() => (returned = true));
  await new Promise((r) => setTimeout(r, 3000));
  t.equal(returned, false, 'still waiting while the copies run');
  // Each its own mtime: copies of one recording with the same times are one recording.
  copies.forEach((c, i) => {
    const at = Math.floor(Date.now() / 1000) + i;
    utimesSync(c.writing, at, at);
    renameSync(c.writing, c.done);
  });
  const wait = await waiting;
  t.equal(wait.code, 0, wait.stderr);
  t.match(wait.stderr, `waiting for 0 jobs and ${copies.length} recordings in spool folders not read yet`, 'each copy counted');
  const list = JSON.parse((await runCli(['jobs', 'list', '--socket', daemon.socket, '--json', '--limit', '0'])).stdout) as { counts: { done: number } };
  t.equal(list.counts.done, copies.length * 2, 'the two stretches of speech of each copy transcribed');
  t.match(wait.stdout, new RegExp(`^${list.counts.done} done, 0 failed$`, 'm'), 'each waited for');
  t.same(readdirSync(join(spool, 'done')).sort(), ['late.wav', 'rsynced.wav', 'synced.wav'], 'each read');
  t.same(readdirSync(spool).filter((n) => n.includes('.wav')), ['old.wav.part'], 'the abandoned copy is left where it is');
  await spoolDaemon.stop();
});

/**
 * Live speech is not waited for, and was counted all the same: "N done" was the queue's count
 * of every record, so with a microphone source beside the spool a batch of 2 recordings said
 * "12 done", and a live job failing meanwhile would have made it exit 5.
 */
t.test("jobs wait's count leaves out live speech finished while it waits", async (t) => {
  const root = tempDir('earshot-wait-live-');
  const wav = join(fixturesDir, 'audio', 'speech-silence-speech.wav');
  // A microphone that hears the fixture's two stretches of speech every few seconds.
  const mic = { id: 'mic', type: 'command', command: ['sh', '-c', `while true; do tail -c +45 '${wav}'; sleep 4; done`], format: { encoding: 's16le', sampleRate: 16000, channels: 1 } };
  const spoolDaemon = await startSpoolDaemon(t, root, 'live', { sources: [{ id: 'desk', type: 'spool', dir: join(root, 'spool'), settleMs: 200, pollMs: 100 }, mic] });
  const { daemon, spool } = spoolDaemon;
  const liveDone = async () => {
    const list = JSON.parse((await runCli(['jobs', 'list', '--socket', daemon.socket, '--json', '--limit', '0', '--state', 'done'])).stdout) as { jobs: Array<{ priority: string }> };
    return list.jobs.filter((j) => j.priority === 'live').length;
  };
  const names = ['a.wav', 'b.wav'];
  for (const name of names) writeFileSync(join(spool, `${name}.part`), readFileSync(wav));
  const wait = startCli(['jobs', 'wait', '--socket', daemon.socket, '--interval', '1', '--timeout', '2m']);
  await waitFor(() => wait.stderr().includes('waiting for'), 30_000, 'jobs wait to look');
  // The copies end once live speech has been transcribed while jobs wait runs.
  const before = await liveDone();
  for (let i = 0; (await liveDone()) <= before; i++) {
    if (i > 60) throw new Error('no live speech transcribed in 60 s');
    await new Promise((r) => setTimeout(r, 1000));
  }
  names.forEach((name, i) => {
    const at = Math.floor(Date.now() / 1000) + i;
    utimesSync(join(spool, `${name}.part`), at, at);
    renameSync(join(spool, `${name}.part`), join(spool, name));
  });
  const waited = await wait.result;
  t.equal(waited.code, 0, waited.stderr);
  t.match(waited.stdout, new RegExp(`^${names.length * 2} done, 0 failed$`, 'm'), 'the stretches of speech of the recordings, no live speech');
  t.ok((await liveDone()) > before, 'live speech was transcribed meanwhile');
  await spoolDaemon.stop();
});
