import t from 'tap';
import mqtt from 'mqtt';
import type { JobOfferPayload } from '../../../daemon/mqtt/payloads/job.js';
import { sealFleetMessage, type FleetKey } from '../../../daemon/mqtt/fleet/fleet-signature.js';
import { fleetTopics } from '../../../daemon/mqtt/topics.js';
import { Mosquitto } from '../../helpers/mosquitto.js';
import { tempDir } from '../../helpers/paths.js';
import { boxKeys, groupKeyIn, identityConfig, identityOf } from '../../helpers/fleet-identities.js';
import { startLocalBox } from '../helpers/fleet-boxes.js';

/**
 * A group moving to identities (README, Fleet identities): boxes with one and boxes without
 * refuse each other's claims and results, so an offer that reaches a box of the other kind is
 * handed back to the group, not claimed (a claim its offerer would refuse, holding the job
 * until the claim timeout) nor dropped.
 */
const GROUP = 'ids-mixed';
const keys = boxKeys('hq', 'new-box');

t.test('during a move to identities, an offer reaching a box of the other kind is handed back unclaimed', async (t) => {
  const broker = await new Mosquitto({ persistence: false }).start();
  t.teardown(() => broker.stop());
  const dir = tempDir('earshot-fleet-id-mixed-');
  const { keyFile, key } = groupKeyIn(dir);
  const topics = fleetTopics(GROUP);
  const watcher = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'hq', reconnectPeriod: 0 });
  t.teardown(() => watcher.endAsync(true));
  const claims: string[] = [];
  const offersSeen: string[] = [];
  watcher.on('message', (topic, payload) => {
    if (topic === topics.offers) offersSeen.push((JSON.parse(payload.toString()) as JobOfferPayload).jobId);
    else claims.push(topic);
  });
  await watcher.subscribeAsync({ [topics.offers]: { qos: 1 }, [`earshot/jobs/${GROUP}/claim/+`]: { qos: 1 } });

  const now = Date.now();
  const offer = (jobId: string): JobOfferPayload => ({ v: 1, jobId, offeredBy: 'hq', attempt: 1, job: { file: `/spool/${jobId}.wav` }, ts: new Date(now).toISOString(), claimBy: new Date(now + 60_000).toISOString() });
  const waitHandedBack = async (jobId: string) => {
    for (const until = Date.now() + 5000; Date.now() < until && offersSeen.filter((j) => j === jobId).length < 2; ) await new Promise((r) => setTimeout(r, 50));
  };

  // A box with an identity, an offer from a box without one (group key only).
  const withId = await startLocalBox(t, broker.url, GROUP, 'new-box', dir, true, keyFile, identityConfig(keys['new-box'], [keys.hq, keys['new-box']]));
  const legacyOffer: FleetKey = { group: GROUP, key };
  await watcher.publishAsync(topics.offers, JSON.stringify(sealFleetMessage(legacyOffer, 'job', offer('old-kind'))), { qos: 1 });
  await waitHandedBack('old-kind');
  t.ok(offersSeen.filter((j) => j === 'old-kind').length >= 2, 'the box with an identity handed the old-kind offer back');
  t.ok((withId.service.state().fleet?.worker?.handedBack ?? 0) >= 1, 'counted as handed back (it is the only box: back to it, again and again until its claimBy)');
  await withId.service.stop();

  // A box without one (group key only), an offer from a box with one.
  const legacy = await startLocalBox(t, broker.url, GROUP, 'old-box', dir, true, keyFile);
  const newOffer: FleetKey = { group: GROUP, key, identity: identityOf(keys.hq) };
  await watcher.publishAsync(topics.offers, JSON.stringify(sealFleetMessage(newOffer, 'job', offer('new-kind'))), { qos: 1 });
  await waitHandedBack('new-kind');
  t.ok(offersSeen.filter((j) => j === 'new-kind').length >= 2, 'the box without an identity handed the new-kind offer back');
  t.ok((legacy.service.state().fleet?.worker?.handedBack ?? 0) >= 1, 'counted as handed back');
  t.same(claims, [], 'neither claimed an offer whose offerer would refuse its claim');
});
