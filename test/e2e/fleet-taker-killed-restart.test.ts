import t from 'tap';
import { join } from 'node:path';
import { restartDaemon, runCli, waitFor } from '../helpers/daemon-process.js';
import { startFleetTaker } from '../helpers/fleet-taker.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { tempDir } from '../helpers/paths.js';
import { writeLongRecording } from '../helpers/long-recording.js';
import { connectTo } from '../mqtt/helpers/connection.js';
import { offeringBridge } from '../pipeline/helpers/offering-bridge.js';

const GROUP = 'killed';

/**
 * A taker SIGKILLed while it runs a fleet job: its offerer offers the job again when the
 * broker publishes the taker's last will. At the taker's restart the local copy of that
 * attempt is dropped with its audio (so it cannot run twice). That is recovery, not a
 * failure: the taker says so at info, naming the job, and the record says why, instead of
 * a warning that the job failed with "file not found".
 */
t.test('a fleet job dropped at a taker\'s restart is said to be offered again, at info, not logged as failed', async (t) => {
  const broker = await new Mosquitto({ persistence: false }).start();
  t.teardown(() => broker.stop());
  const dir = tempDir('earshot-fleet-killed-');
  const recording = join(dir, 'long-call.wav');
  await writeLongRecording(recording, 40);

  let taker = await startFleetTaker(t, { url: broker.url, group: GROUP, leaseSec: 600 });

  const connection = await connectTo(t, broker.url, 'hq');
  // Offered again while the taker is down, the job goes out once more when nobody claims it within 3 s.
  const { offerer, bridge } = await offeringBridge(t, { connection, group: GROUP, dataDir: join(dir, 'hq'), claimTimeoutMs: 3000, fleet: { maxAudioBytes: 16 << 20, maxOutstandingBytes: 64 << 20, claimTimeoutSec: 600, maxHeld: 4 } });
  t.same((await bridge.offer({ paths: [recording] })).errors, []);
  await waitFor(() => /job started id=\S+\.a1 /.test(taker.output()), 60_000, 'the taker to start the job');
  const localId = /job started id=(\S+\.a1) /.exec(taker.output())![1]!;
  taker.child.kill('SIGKILL');
  await taker.exited;
  await waitFor(() => offerer.stats().reoffered >= 1, 30_000, 'the offerer to offer the job again on the taker\'s last will');

  taker = await restartDaemon(taker);
  const restartedTaker = taker;
  t.teardown(() => {
    if (restartedTaker.child.exitCode === null && restartedTaker.child.signalCode === null) restartedTaker.child.kill('SIGKILL');
  });
  await waitFor(() => new RegExp(`(job failed|fleet job dropped at restart).*${localId.replace(/\./g, '\\.')}`).test(taker.output()), 30_000, 'the taker to end the dropped attempt');
  const restarted = taker.output();
  t.notMatch(restarted, new RegExp(`WARN .*job failed id=${localId.replace(/\./g, '\\.')}`), 'the dropped attempt is not logged as a failed job');
  t.match(restarted, new RegExp(`INFO .*fleet job dropped at restart.*offered it again.* id=${localId.replace(/\./g, '\\.')}`), 'an info line names it and says its offerer offered it again');
  t.notMatch(restarted, /WARN .*dropped \d+ fleet job file/, 'and the summary is no warning either');
  const list = await runCli(['jobs', 'list', '--json', '--socket', taker.socket]);
  const jobs = (JSON.parse(list.stdout) as { jobs: Array<{ id: string; state: string; error?: string }> }).jobs;
  const stale = jobs.find((j) => j.id === localId);
  t.equal(stale?.state, 'failed', 'its record ends, not to be run');
  t.match(stale?.error, /fleet job dropped at restart.*offered it again/, 'and says why');

  // The new attempt runs on the restarted box, as any offer does.
  let done = (await bridge.offers()).done;
  for (const until = Date.now() + 120_000; done.length === 0 && Date.now() < until; done = (await bridge.offers()).done) await new Promise((r) => setTimeout(r, 200));
  t.same(done.map((d) => [d.status, d.takenBy]), [['ok', 'box']], 'done by the restarted taker');

  taker.child.kill('SIGTERM');
  t.equal(await taker.exited, 0, taker.output().slice(-1500));
});
