import t from 'tap';
import mqtt from 'mqtt';
import type { JobClaimPayload, JobDonePayload, JobGrantPayload, JobOfferPayload } from '../../../daemon/mqtt/payloads/job.js';
import { readFleetMessage, sealFleetMessage, type FleetKey } from '../../../daemon/mqtt/fleet/fleet-signature.js';
import { fleetTopics } from '../../../daemon/mqtt/topics.js';
import { Mosquitto } from '../../helpers/mosquitto.js';
import { tempDir } from '../../helpers/paths.js';
import { boxKeys, groupKeyIn, identityConfig, identityOf } from '../../helpers/fleet-identities.js';
import { startLocalBox } from '../helpers/fleet-boxes.js';

/**
 * The taker's side of identities: a member (`branch`, a real MqttService) takes an offer only
 * from the box that signed it as its offerer, and runs a job only on a grant signed by that
 * offerer. `mallet` has the group's shared key and a key pair of its own nobody listed: an
 * offer it makes in hq's name, or a grant it sends in hq's name for branch's claim, is refused.
 * `carol` is a listed member: a grant it signs as itself for hq's job is refused too (only the
 * job's offerer grants it).
 */
const GROUP = 'ids-worker';
const keys = boxKeys('hq', 'branch', 'carol', 'mallet');
const members = [keys.hq, keys.branch, keys.carol];

// With the group key beside the identities, and with identities alone.
for (const withGroupKey of [true, false]) t.test(`a member takes offers and grants only from the job's offerer, by the key listed for it (${withGroupKey ? 'with' : 'without'} a group key)`, async (t) => {
  const broker = await new Mosquitto({ persistence: false }).start();
  t.teardown(() => broker.stop());
  const dir = tempDir('earshot-fleet-id-worker-');
  const { keyFile, key } = withGroupKey ? groupKeyIn(dir) : { keyFile: null, key: null };
  const hq: FleetKey = { group: GROUP, key, identity: identityOf(keys.hq, members) };
  const mallet: FleetKey = { group: GROUP, key, identity: identityOf(keys.mallet) };
  const carol: FleetKey = { group: GROUP, key, identity: identityOf(keys.carol, members) };
  const topics = fleetTopics(GROUP);

  const client = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'hq-and-mallet', reconnectPeriod: 0 });
  t.teardown(() => client.endAsync(true));
  const claims: JobClaimPayload[] = [];
  const done: JobDonePayload[] = [];
  client.on('message', (topic, payload) => {
    if (topic.startsWith(`earshot/jobs/${GROUP}/claim/`)) {
      const read = readFleetMessage<JobClaimPayload>(hq, 'job-claim', payload);
      if ('value' in read) claims.push(read.value);
    } else if (topic.startsWith(`earshot/jobs/${GROUP}/done/`)) {
      const read = readFleetMessage<JobDonePayload>(hq, 'job-done', payload);
      if ('value' in read) done.push(read.value);
    }
  });
  await client.subscribeAsync({ [`earshot/jobs/${GROUP}/claim/+`]: { qos: 1 }, [`earshot/jobs/${GROUP}/done/+`]: { qos: 1 } });
  const settle = () => new Promise((r) => setTimeout(r, 1000));

  const box = await startLocalBox(t, broker.url, GROUP, 'branch', dir, true, keyFile, identityConfig(keys.branch, members));
  const now = Date.now();
  const offer = (jobId: string): JobOfferPayload => ({ v: 1, jobId, offeredBy: 'hq', attempt: 1, job: { file: `/spool/${jobId}.wav` }, ts: new Date(now).toISOString(), claimBy: new Date(now + 60_000).toISOString() });

  // 1. An offer in hq's name, signed by mallet: not claimed.
  await client.publishAsync(topics.offers, JSON.stringify(sealFleetMessage(mallet, 'job', offer('forged-offer'))), { qos: 1 });
  await settle();
  t.same(claims.map((c) => c.jobId), [], "no claim for an offer mallet made in hq's name");

  // 2. hq's own offer: claimed, by a claim signed by branch.
  await client.publishAsync(topics.offers, JSON.stringify(sealFleetMessage(hq, 'job', offer('job-1'))), { qos: 1 });
  for (const until = Date.now() + 5000; Date.now() < until && claims.length === 0; ) await new Promise((r) => setTimeout(r, 50));
  t.same(claims.map((c) => [c.jobId, c.takenBy]), [['job-1', 'branch']], "hq's offer is claimed by branch, signed by branch's key");

  // 3. mallet grants branch's claim in hq's name: branch does not run the job.
  const grant: JobGrantPayload = { v: 1, jobId: 'job-1', attempt: 1, takenBy: 'branch', granted: true, ts: new Date().toISOString() };
  await client.publishAsync(topics.grant('branch', 'job-1'), JSON.stringify(sealFleetMessage(mallet, 'job-grant', grant)), { qos: 1 });
  await settle();
  t.same(box.completed(), [], "a grant mallet made in hq's name runs nothing");
  t.equal(box.service.state().fleet?.worker?.taken, 0, 'and takes nothing');
  await client.publishAsync(topics.grant('branch', 'job-1'), JSON.stringify(sealFleetMessage(carol, 'job-grant', grant)), { qos: 1 });
  await settle();
  t.same(box.completed(), [], 'a grant carol, a listed member, signs as itself for a job hq offered runs nothing');

  // 4. hq's grant: branch runs the job and its result reads as signed by branch.
  await client.publishAsync(topics.grant('branch', 'job-1'), JSON.stringify(sealFleetMessage(hq, 'job-grant', grant)), { qos: 1 });
  for (const until = Date.now() + 5000; Date.now() < until && done.length === 0; ) await new Promise((r) => setTimeout(r, 50));
  t.same(box.completed(), ['job-1'], "hq's grant runs the job");
  t.same(done.map((d) => [d.jobId, d.takenBy, d.status]), [['job-1', 'branch', 'ok']], "and its result is signed by branch's key");
});
