import t from 'tap';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemonOnFreePort, runCli, waitFor } from '../helpers/daemon-process.js';
import { fixturesDir, tempDir } from '../helpers/paths.js';
import { SmallDisk } from '../helpers/small-disk.js';
import { TranscriptTally, dropRecording, readQueue, spoolWaiting } from '../helpers/faults.js';
import { spoolPipelineConfig } from '../helpers/pipeline-config.js';
import type { SubmitResult } from '../../daemon/scheduler/control-handlers.js';

/**
 * Issue #9: the filesystem under dataDir fills up (a real 8 MiB tmpfs, filled to ENOSPC).
 * The daemon says so in its log, keeps serving, refuses new jobs with the reason, keeps
 * every recording that arrived meanwhile in the spool (not in failed/: a full disk is not
 * the recording's fault), and transcribes them once space is freed.
 */
t.test('disk full under dataDir: clear log, daemon keeps serving, nothing moved to failed/, catches up when space returns', async (t) => {
  const disk = new SmallDisk(8 * 1024 * 1024).mount();
  t.teardown(() => disk.unmount());
  const recording = readFileSync(join(fixturesDir, 'audio', 'speech-silence-speech.wav'));
  const spool = tempDir('earshot-e2e-diskfull-spool-');
  const { daemon, port } = await startDaemonOnFreePort((port) => spoolPipelineConfig({ siteId: 'diskfull', spool, port, dataDir: disk.dir }));
  t.teardown(() => {
    if (!t.passing()) t.comment(daemon.output().slice(-4000));
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  });
  const pid = daemon.child.pid;
  const tally = new TranscriptTally(`mqtt://127.0.0.1:${port}`, 'earshot/diskfull/transcript/#', 'diskfull-tally');
  await tally.start();
  t.teardown(() => tally.stop());
  const base = Math.floor(Date.now() / 1000) - 600;
  dropRecording(spool, 'before.wav', recording, base);
  // Transcripts go out before their jobs' done records are written: wait for both.
  await waitFor(() => tally.unique >= 2 && readQueue(disk.dir).done.length >= 2, 60_000, 'before.wav transcribed and its jobs recorded');

  t.ok(disk.fill() > 0, 'the filesystem under dataDir is full');
  dropRecording(spool, 'while-full-1.wav', recording, base + 1);
  dropRecording(spool, 'while-full-2.wav', recording, base + 2);
  await waitFor(() => /disk full: cannot save speech.*while-full-1\.wav/.test(daemon.output()), 60_000, 'the disk-full log line');
  const submitDir = tempDir('earshot-e2e-diskfull-submit-');
  writeFileSync(join(submitDir, 'submitted.wav'), recording);
  // The daemon deletes what it could not finish writing, which frees a few blocks again
  // (a clean-clone CI run queued the job in them): take those too before submitting.
  disk.fill();
  const refused = await runCli(['jobs', 'submit', join(submitDir, 'submitted.wav'), '--socket', daemon.socket]);
  t.not(refused.code, 0, 'a job cannot be queued durably while the disk is full');
  t.match(refused.stdout + refused.stderr, /ENOSPC|no space left/i, 'and the submitter is told why');

  // A few more scans while full: the recordings wait, none is given up on.
  await new Promise((r) => setTimeout(r, 1000));
  t.same(spoolWaiting(spool).sort(), ['while-full-1.wav', 'while-full-2.wav'], 'the recordings stay in the spool');
  t.same(readdirSync(join(spool, 'failed')), [], 'nothing was moved to failed/');
  const status = await runCli(['status', '--json', '--socket', daemon.socket]);
  t.equal(status.code, 0, 'the daemon answers while the disk is full');
  t.equal(JSON.parse(status.stdout).pid, pid);
  // Each spool scan retries and may hold a temp file for a moment; a leaked one would stay.
  const tempFiles = () => readdirSync(join(disk.dir, 'segments')).filter((f) => f.endsWith('.tmp'));
  const leaked = await waitFor(() => tempFiles().length === 0, 5000, 'no temp files under segments/').then(() => [], () => tempFiles());
  t.same(leaked, [], 'no half-written temp files hold the space');

  disk.free();
  await waitFor(() => spoolWaiting(spool).length === 0, 60_000, 'the waiting recordings to be taken once space is back');
  t.ok(existsSync(join(spool, 'done', 'while-full-1.wav')) && existsSync(join(spool, 'done', 'while-full-2.wav')), 'both recordings done');
  const accepted = await runCli(['jobs', 'submit', join(submitDir, 'submitted.wav'), '--json', '--socket', daemon.socket]);
  t.equal(accepted.code, 0, accepted.stderr);
  t.equal((JSON.parse(accepted.stdout) as SubmitResult).submitted.length, 1, 'the refused job is accepted now');
  await waitFor(() => tally.unique >= 8, 60_000, `all 8 transcripts (have ${tally.unique})`);
  t.equal(tally.unique, 8, 'two transcripts from each of the four recordings');

  const after = await runCli(['status', '--json', '--socket', daemon.socket]);
  t.equal(JSON.parse(after.stdout).pid, pid, 'the same daemon process throughout');
  daemon.child.kill('SIGTERM');
  t.equal(await daemon.exited, 0, daemon.output().slice(-2000));
});
