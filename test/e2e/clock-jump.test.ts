import t from 'tap';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startDaemon, runCli, waitFor } from '../helpers/daemon-process.js';
import { tempDir, fixturesDir } from '../helpers/paths.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { SteppableClock } from '../helpers/fake-clock.js';
import { TranscriptTally, dropRecording, readQueue, spoolWaiting } from '../helpers/faults.js';
import { spoolPipelineConfig } from '../helpers/pipeline-config.js';
import { callDaemonUntyped } from '../../daemon/control/client.js';

/**
 * Issue #9: NTP steps of the daemon's wall clock (libfaketime; the monotonic clock runs on,
 * as with a real step). Forward by 30 h while the broker is down (every batch deadline
 * passes, the outbox holds transcripts across the step), then back by 32 h. Work goes on,
 * nothing is lost or transcribed twice (job ids come from the audio's own time, not the
 * daemon's clock), and signed commands are judged against the clock as it is now.
 */
t.test('the wall clock stepping forward 30 h and back 32 h breaks no deadline, delivery or dedup', async (t) => {
  const recording = readFileSync(join(fixturesDir, 'audio', 'speech-silence-speech.wav'));
  const root = tempDir('earshot-e2e-clock-');
  const spool = join(root, 'spool');
  const keyFile = join(root, 'command.key');
  writeFileSync(keyFile, randomBytes(32).toString('hex'));
  chmodSync(keyFile, 0o600);
  const broker = await new Mosquitto().start();
  t.teardown(() => broker.stop());
  const tally = new TranscriptTally(broker.url, 'earshot/clock/transcript/#', 'clock-tally');
  await tally.start();
  t.teardown(() => tally.stop());
  const clock = new SteppableClock();
  mkdirSync(spool);
  const config = spoolPipelineConfig({ siteId: 'clock', spool, brokerUrl: broker.url, dataDir: join(root, 'data') });
  const daemon = await startDaemon({ ...config, mqtt: { url: broker.url, commands: { enabled: true, keyFile } } }, clock.env());
  t.teardown(() => {
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  });
  const pid = daemon.child.pid;
  const base = Math.floor(Date.now() / 1000) - 600;
  const call = (method: string) => runCli(['mqtt', 'call', method, '--site', 'clock', '--broker', broker.url, '--key-file', keyFile, '--json', '--timeout', '5000']);
  const done = () => readQueue(join(root, 'data')).done.length;

  dropRecording(spool, 'a.wav', recording, base);
  await waitFor(() => tally.unique >= 2, 30_000, 'transcripts before any step');

  // b.wav's jobs wait (a power budget too low for batch work), the broker goes down, and
  // the clock jumps 30 h ahead: past their 24 h deadlines. Then the budget is lifted.
  await callDaemonUntyped('budget.set', { powerBudgetWatts: 1 }, { socket: daemon.socket });
  dropRecording(spool, 'b.wav', recording, base + 1);
  await waitFor(() => readQueue(join(root, 'data')).pending.length >= 2, 20_000, "b.wav's jobs queued and held");
  const held = readQueue(join(root, 'data')).pending;
  await broker.stop();
  clock.step(30 * 3600);
  await callDaemonUntyped('budget.set', { powerBudgetWatts: null }, { socket: daemon.socket });
  await waitFor(() => done() >= 4, 30_000, 'the held jobs, now past their deadlines, to run while the broker is down');
  t.ok(held.every((j) => Date.parse(j.deadline) < Date.now() + 30 * 3600e3), 'their deadlines had passed on the stepped clock');
  await broker.start();
  await waitFor(() => tally.unique >= 4, 30_000, 'the outbox to deliver across the step once the broker is back');
  const staleNow = await call('status');
  t.not(staleNow.code, 0, 'a command signed by a correct clock is refused while this clock is 30 h ahead');
  t.match(staleNow.stdout + staleNow.stderr, /no reply from site clock[^]*clock and the box's differ by more than its mqtt\.commands\.maxSkewSec/, 'unanswered, with the clock among the causes named');
  t.match(daemon.output(), /remote command refused \(stale\)/, 'and the daemon logs it as stale');

  const submitDir = tempDir('earshot-e2e-clock-submit-');
  writeFileSync(join(submitDir, 'd.wav'), recording);
  const submitted = await runCli(['jobs', 'submit', join(submitDir, 'd.wav'), '--deadline', '1h', '--json', '--socket', daemon.socket]);
  t.equal(submitted.code, 0, submitted.stderr);
  await waitFor(() => tally.unique >= 6, 30_000, 'a job submitted after the step, with a deadline on the stepped clock');

  // Back 32 h: now 2 h behind the real time.
  clock.step(-32 * 3600);
  dropRecording(spool, 'c.wav', recording, base + 2);
  await waitFor(() => tally.unique >= 8, 30_000, 'a recording after the backward step (the spool does not wait for the clock to catch up)');
  // The same recording delivered twice (same bytes, same file time) is one set of jobs,
  // whatever the daemon's clock says.
  // A transcript is out before its job's done record is written: wait for both.
  await waitFor(() => done() >= 7 && readQueue(join(root, 'data')).pending.length === 0, 20_000, 'every job recorded done');
  const before = done();
  dropRecording(spool, 'a-copy.wav', recording, base);
  await waitFor(() => spoolWaiting(spool).length === 0 && existsSync(join(spool, 'done', 'a-copy.wav')), 20_000, 'the copy to be taken');
  await new Promise((r) => setTimeout(r, 1000));
  t.equal(done(), before, 'the copy made no new jobs');
  t.equal(tally.unique, 8, 'and no new transcripts: 2 for each of a, b, d, c');

  clock.step(2 * 3600);
  const ok = await call('status');
  t.equal(ok.code, 0, `with the clock right again, commands are accepted: ${ok.stderr}`);
  const q = readQueue(join(root, 'data'));
  t.same(q.failed, [], 'no job failed');
  t.same(q.pending, [], 'none left pending');
  const status = await runCli(['status', '--json', '--socket', daemon.socket]);
  t.equal(JSON.parse(status.stdout).pid, pid, 'the same daemon process throughout');
  daemon.child.kill('SIGTERM');
  t.equal(await daemon.exited, 0, daemon.output().slice(-2000));
});
