import t, { type Test } from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { restartDaemon, runCli, startDaemon, waitFor, type RunningDaemon } from '../helpers/daemon-process.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { speechClips } from '../helpers/speech-clips.js';
import { fixturesDir, tempDir } from '../helpers/paths.js';
import { boxKeys, groupKeyIn, identityConfig, identityOf, type BoxKey } from '../helpers/fleet-identities.js';
import { readFleetMessage, sealFleetMessage, type FleetKey } from '../../daemon/mqtt/fleet/fleet-signature.js';
import { fleetTopics } from '../../daemon/mqtt/topics.js';
import type { JobDonePayload, JobGrantPayload, JobOfferPayload } from '../../daemon/mqtt/payloads/job.js';
import type { FleetOffersList } from '../../daemon/pipeline/fleet-bridge.js';

/**
 * A fleet group whose boxes have identities (mqtt.fleet.identity) on a real Mosquitto, with
 * real daemons: `hq` offers its backlog (no budget of its own, so every job goes to the
 * group), `branch` takes it. `mallet` holds the group's shared key and a key pair of its own
 * that nobody listed (a stolen or decommissioned box): it claims every offer, and answers
 * every grant to `branch` at once with a forged result in branch's name.
 */
const GROUP = 'ids';
const keys = boxKeys('hq', 'branch', 'mallet');
const members = [keys.hq, keys.branch];

function boxConfig(url: string, keyFile: string, box: BoxKey, listed: BoxKey[], taker: boolean) {
  return {
    siteId: box.siteId,
    mqtt: { url, fleet: { enabled: true, group: GROUP, leaseSec: 60, keyFile, identity: identityConfig(box, listed) }, telemetryIntervalSec: 0 },
    vad: { detector: 'energy' },
    model: { dir: join(fixturesDir, 'asr', 'models', 'nemo-ctc'), providers: ['cpu'] },
    // hq: below idle + one thread, so batch work is paused and it hands its offers on.
    scheduler: taker ? { tickMs: 100 } : { powerBudgetWatts: 1 },
  };
}

async function started(t: Test, config: Record<string, unknown>): Promise<RunningDaemon> {
  const daemon = await startDaemon(config);
  t.teardown(() => {
    if (daemon.child.exitCode === null && daemon.child.signalCode === null) daemon.child.kill('SIGKILL');
  });
  return daemon;
}

/** mallet: the group key and its own unlisted key; claims every offer, forges branch's result for every grant to branch. */
async function mallet(t: Test, url: string, fleet: FleetKey) {
  const topics = fleetTopics(GROUP);
  const client = await mqtt.connectAsync(url, { protocolVersion: 5, clientId: 'mallet', reconnectPeriod: 0 });
  t.teardown(() => client.endAsync(true));
  const seen = { claims: 0, forged: 0, grantedToMallet: 0 };
  client.on('message', (topic, payload) => {
    if (topic === topics.offers) {
      const read = readFleetMessage<JobOfferPayload>({ group: GROUP, key: fleet.key }, 'job', payload);
      if (!('value' in read)) return;
      const claim = { v: 1, jobId: read.value.jobId, attempt: read.value.attempt, takenBy: 'mallet', ts: new Date().toISOString() };
      seen.claims += 1;
      void client.publishAsync(topics.claim(read.value.jobId), JSON.stringify(sealFleetMessage(fleet, 'job-claim', claim)), { qos: 1 });
      return;
    }
    const grant = JSON.parse(payload.toString()) as JobGrantPayload;
    if (!grant.granted) return;
    if (grant.takenBy === 'mallet') seen.grantedToMallet += 1;
    const done: JobDonePayload = { v: 1, jobId: grant.jobId, attempt: grant.attempt, takenBy: grant.takenBy, ts: new Date().toISOString(), status: 'ok', result: { text: 'forged by mallet', transcripts: [] } };
    seen.forged += 1;
    void client.publishAsync(topics.done(grant.jobId), JSON.stringify(sealFleetMessage(fleet, 'job-done', done)), { qos: 1 });
  });
  await client.subscribeAsync({ [topics.offers]: { qos: 1 }, [`earshot/jobs/${GROUP}/grant/+/+`]: { qos: 1 } });
  return seen;
}

async function offers(daemon: RunningDaemon): Promise<FleetOffersList | undefined> {
  const r = await runCli(['jobs', 'offers', '--json', '--socket', daemon.socket]);
  return r.code === 0 ? (JSON.parse(r.stdout) as FleetOffersList) : undefined;
}

t.test('members work together; a box with the group key but no listed identity takes no job and forges no result; a revoked member takes no more jobs', async (t) => {
  const broker = await new Mosquitto({ persistence: false }).start();
  t.teardown(() => broker.stop());
  const { keyFile, key } = groupKeyIn(tempDir('earshot-fleet-ids-key-'));
  const hq = await started(t, boxConfig(broker.url, keyFile, keys.hq, members, false));
  const branch = await started(t, boxConfig(broker.url, keyFile, keys.branch, members, true));
  const seen = await mallet(t, broker.url, { group: GROUP, key, identity: identityOf(keys.mallet) });

  const JOBS = 3;
  const submit = await runCli(['jobs', 'submit', ...speechClips(JOBS), '--fleet', '--json', '--socket', hq.socket]);
  t.equal(submit.code, 0, submit.stderr);
  let list: FleetOffersList | undefined;
  for (const until = Date.now() + 60_000; Date.now() < until && list?.done.length !== JOBS; await new Promise((r) => setTimeout(r, 300))) list = await offers(hq);
  t.equal(list?.done.length, JOBS, 'every job has its result');
  t.same(list?.done.map((d) => [d.status, d.takenBy]), Array.from({ length: JOBS }, () => ['ok', 'branch']), 'each run by branch, the member');
  t.ok(seen.claims >= JOBS && seen.forged >= JOBS, `mallet claimed (${seen.claims}) and forged results for branch's grants (${seen.forged})`);
  t.equal(seen.grantedToMallet, 0, 'no job granted to mallet');
  t.ok(list?.done.every((d) => typeof d.text === 'string' && d.text !== 'forged by mallet'), 'each result is the transcript branch made, not the one forged in its name');
  const hqLog = hq.output();
  t.match(hqLog, /job-claim message ignored: from mallet, which is not a member of this group/, "mallet's claims refused, naming it and why");
  t.match(hqLog, /job-done message ignored: signature does not match the key listed for branch/, "the result forged in branch's name refused, naming branch and why");

  // Revocation: hq no longer lists branch, and restarts.
  const config = JSON.parse(readFileSync(hq.configFile, 'utf8')) as ReturnType<typeof boxConfig>;
  config.mqtt.fleet.identity = identityConfig(keys.hq, [keys.hq]);
  writeFileSync(hq.configFile, JSON.stringify(config));
  hq.child.kill('SIGTERM');
  await hq.exited;
  const hq2 = await restartDaemon(hq);
  t.teardown(() => {
    if (hq2.child.exitCode === null) hq2.child.kill('SIGKILL');
  });
  const again = await runCli(['jobs', 'submit', ...speechClips(1), '--fleet', '--json', '--socket', hq2.socket]);
  t.equal(again.code, 0, again.stderr);
  await waitFor(() => /job-claim message ignored: from branch, which is not a member of this group/.test(hq2.output()), 20_000, "hq to refuse the revoked branch's claim");
  list = await offers(hq2);
  t.equal(list?.done.length, JOBS, 'the new job has no result: nobody listed took it');
  t.equal(branch.child.exitCode, null, 'branch is still running');
});
