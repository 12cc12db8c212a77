import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, startDaemon } from '../helpers/daemon-process.js';
import { silentLogger } from '../../daemon/log/logger.js';
import { tempDir } from '../helpers/paths.js';
import { FleetOfferStore } from '../../daemon/pipeline/fleet-offer-store.js';
import type { FleetOffersList } from '../../daemon/pipeline/fleet-bridge.js';
import { PAYLOAD_VERSION } from '../../daemon/mqtt/payloads/status.js';

/**
 * `earshot jobs offers` against a real earshotd. Sharing itself needs an external broker
 * (test/pipeline/fleet-held-claims.test.ts runs one); here fleet sharing is off, and the
 * results of an earlier run are on disk in the daemon's data directory, written by the
 * real offer store: the method answers regardless and lists them.
 */
t.test('earshot jobs offers lists the recorded results of a real daemon, as text and as JSON', async (t) => {
  const dataDir = join(tempDir('earshot-offers-'), 'data');
  const store = new FleetOfferStore(join(dataDir, 'fleet'), silentLogger);
  await store.open();
  // An hour ago: inside the retention (scheduler.retention, 7 days done, 30 days failed).
  const at = (minutes: number) => new Date(Date.now() - 3600_000 + minutes * 60_000).toISOString();
  const ok = { id: 'f-aaaa', input: '/srv/calls/monday.wav', offeredAt: at(0), round: 1 };
  const failed = { id: 'f-bbbb', input: '/srv/calls/tuesday.wav', offeredAt: at(0.1), round: 2 };
  const long = 'the quarterly numbers were read out twice because the line dropped in the middle of the call';
  await store.add(ok);
  await store.add(failed);
  await store.finish({ ...ok, finishedAt: at(1), done: { v: PAYLOAD_VERSION, jobId: 'f-aaaa', attempt: 1, takenBy: 'branch-7', ts: at(1), status: 'ok', result: { text: long } } });
  await store.finish({ ...failed, finishedAt: at(2), done: { v: PAYLOAD_VERSION, jobId: 'f-bbbb.r2', attempt: 1, takenBy: 'branch-9', ts: at(2), status: 'error', error: 'not a WAV file (no RIFF header)' } });
  // Ten days old: past the 7 days a done result is kept; the daemon deletes it at start.
  const old = { id: 'f-old', input: '/srv/calls/last-month.wav', offeredAt: at(-14400), round: 1 };
  await store.finish({ ...old, finishedAt: at(-14399), done: { v: PAYLOAD_VERSION, jobId: 'f-old', attempt: 1, takenBy: 'branch-7', ts: at(-14399), status: 'ok', result: { text: 'old' } } });

  const daemon = await startDaemon({ dataDir });
  t.teardown(() => {
    daemon.child.kill('SIGTERM');
    return daemon.exited;
  });

  const json = await runCli(['jobs', 'offers', '--json', '--socket', daemon.socket]);
  t.equal(json.code, 0, json.stderr);
  const list = JSON.parse(json.stdout) as FleetOffersList;
  t.same(list.outstanding, [], 'nothing outstanding: fleet sharing is off, so nothing is out');
  t.same(
    list.done.map((d) => [d.id, d.input, d.takenBy, d.status, d.text ?? d.error]),
    [
      ['f-aaaa', ok.input, 'branch-7', 'ok', long],
      ['f-bbbb', failed.input, 'branch-9', 'error', 'not a WAV file (no RIFF header)'],
    ],
    'both results, whole, with their takers; the ten-day-old one is gone',
  );
  t.notOk(existsSync(join(dataDir, 'fleet', 'results', 'f-old.json')), "the daemon deleted the old result's file at start");

  const text = await runCli(['jobs', 'offers', '--socket', daemon.socket]);
  t.equal(text.code, 0, text.stderr);
  t.match(text.stdout, /f-aaaa {2}done {4}by branch-7 {2}\/srv\/calls\/monday\.wav {2}"the quarterly numbers.*…"/, 'a done line with its taker and the transcript cut short');
  t.match(text.stdout, /f-bbbb {2}failed  by branch-9 {2}\/srv\/calls\/tuesday\.wav {2}error: not a WAV file/);
  t.match(text.stdout, /0 outstanding \(0 out in the group, 0 waiting\), 2 finished \(1 failed\)/);

  const onlyOutstanding = await runCli(['jobs', 'offers', '--state', 'outstanding', '--json', '--socket', daemon.socket]);
  t.same((JSON.parse(onlyOutstanding.stdout) as FleetOffersList).done, [], '--state outstanding leaves the results out');
});

t.test('earshot jobs offers without a daemon says so and how to start one', async (t) => {
  const r = await runCli(['jobs', 'offers', '--socket', join(tempDir(), 'absent.sock')]);
  t.equal(r.code, 3, 'exit 3: the daemon is not running');
  t.match(r.stderr, /absent\.sock/);
});
