import t from 'tap';
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, startDaemonOnFreePort, waitFor, type RunningDaemon } from '../helpers/daemon-process.js';
import { fixturesDir, tempDir } from '../helpers/paths.js';
import { SteppableClock } from '../helpers/fake-clock.js';
import { dropRecording, spoolWaiting } from '../helpers/faults.js';
import { spoolPipelineConfig } from '../helpers/pipeline-config.js';

const DAY_SEC = 86_400;

/**
 * Retention in a real earshotd, aged honestly: the files' ctimes are the kernel's own, set
 * when the daemon moved them (or a link was made), and the daemon's wall clock is stepped
 * forward with libfaketime between runs, so the sweep at start sees them 31, then 61, days
 * old. done/ keeps 30 days and failed/ 60.
 */
t.test('a real daemon deletes from done/ and failed/ what is older than their keep days, at start, and says so in its log and earshot status', async (t) => {
  const root = tempDir('earshot-e2e-retention-');
  const spool = join(root, 'spool');
  mkdirSync(spool);
  const clock = new SteppableClock();
  const start = async (): Promise<RunningDaemon> => {
    const { daemon } = await startDaemonOnFreePort((port) => {
      const config = spoolPipelineConfig({ siteId: 'retention', spool, port });
      return { ...config, sources: [{ id: 'inbox', type: 'spool', dir: spool, settleMs: 200, pollMs: 100, keepDoneDays: 30, keepFailedDays: 60 }] };
    }, clock.env());
    t.teardown(() => {
      if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
    });
    await waitFor(() => /spool retention: /.test(daemon.output()), 20_000, 'the sweep at start');
    return daemon;
  };
  const stop = async (daemon: RunningDaemon) => {
    daemon.child.kill('SIGTERM');
    t.equal(await daemon.exited, 0);
  };
  const retentionLines = (daemon: RunningDaemon) => daemon.output().split('\n').filter((l) => l.includes('spool retention: '));
  const statusLine = async (daemon: RunningDaemon) => (await runCli(['status', '--socket', daemon.socket])).stdout.split('\n').find((l) => /^\s+sources /.test(l)) ?? '';

  // First run: a recording transcribed into done/, a broken one into failed/.
  const first = await start();
  t.match(retentionLines(first), [/^DEBUG .*spool retention: done\/ 0 deleted \(0 B\), failed\/ 0 deleted \(0 B\)/], 'nothing old: nothing deleted, no INFO line');
  dropRecording(spool, 'good.wav', readFileSync(join(fixturesDir, 'audio', 'speech-silence-speech.wav')), Math.floor(Date.now() / 1000) - 60);
  dropRecording(spool, 'broken.wav', Buffer.from('JUNK not a recording'), Math.floor(Date.now() / 1000) - 60);
  await waitFor(() => spoolWaiting(spool).length === 0 && existsSync(join(spool, 'done', 'good.wav')) && existsSync(join(spool, 'failed', 'broken.wav')), 30_000, 'both recordings handled');
  t.match(await statusLine(first), /inbox:running \(done\/ kept 30 d, failed\/ kept 60 d; last sweep 0 min ago: done\/ 0 deleted \(0 B\), failed\/ 0 deleted \(0 B\)\)/);
  await stop(first);

  // What the daemon did not put there, and must not touch: a folder and what is in it, a
  // dot file, and what a link points to (the link itself goes).
  mkdirSync(join(spool, 'done', 'kept-by-hand'));
  writeFileSync(join(spool, 'done', 'kept-by-hand', 'inner.wav'), 'mine');
  writeFileSync(join(spool, 'done', '.notes'), 'mine');
  writeFileSync(join(root, 'outside.wav'), 'not in the spool');
  symlinkSync(join(root, 'outside.wav'), join(spool, 'done', 'link.wav'));
  // The recording, and the link (as long as the path it holds).
  const doneBytes = readFileSync(join(spool, 'done', 'good.wav')).length + join(root, 'outside.wav').length;

  // 31 days on: done/'s recording and link go, failed/ keeps its 60 days.
  clock.step(31 * DAY_SEC);
  const second = await start();
  const deleted = retentionLines(second);
  t.equal(deleted.length, 1);
  t.match(deleted[0], new RegExp(`^INFO .*spool retention: done/ 2 deleted \\(${(doneBytes / 1000).toFixed(1)} kB\\), failed/ 0 deleted \\(0 B\\).* source=inbox deleted=2 bytes=${doneBytes} `));
  t.same(readdirSync(join(spool, 'done')).sort(), ['.notes', 'kept-by-hand']);
  t.ok(existsSync(join(spool, 'done', 'kept-by-hand', 'inner.wav')) && existsSync(join(root, 'outside.wav')), 'nothing in a folder or behind a link');
  t.same(readdirSync(join(spool, 'failed')).sort(), ['broken.wav', 'broken.wav.reason.txt']);
  t.match(await statusLine(second), /inbox:running \(done\/ kept 30 d, failed\/ kept 60 d; last sweep 0 min ago: done\/ 2 deleted \(\d+\.\d kB\), failed\/ 0 deleted \(0 B\)\)/);
  await stop(second);

  // 61 days on: the broken recording goes, with its reason.
  clock.step(30 * DAY_SEC);
  const third = await start();
  t.match(retentionLines(third), [/^INFO .*spool retention: done\/ 0 deleted \(0 B\), failed\/ 2 deleted/]);
  t.same(readdirSync(join(spool, 'failed')), []);
  t.ok(existsSync(join(spool, 'done', 'kept-by-hand', 'inner.wav')));
  await stop(third);
});
