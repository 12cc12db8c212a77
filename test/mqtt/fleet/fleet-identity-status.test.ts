import t from 'tap';
import mqtt from 'mqtt';
import type { JobClaimPayload, JobGrantPayload } from '../../../daemon/mqtt/payloads/job.js';
import { buildStatus, type StatusPayload } from '../../../daemon/mqtt/payloads/status.js';
import { sealFleetMessage, type FleetKey } from '../../../daemon/mqtt/fleet/fleet-signature.js';
import { fleetTopics } from '../../../daemon/mqtt/topics.js';
import { Mosquitto } from '../../helpers/mosquitto.js';
import { boxKeys, identityOf } from '../../helpers/fleet-identities.js';
import { offererOn } from '../helpers/fleet-boxes.js';

/**
 * With the group key alone, any holder can send a box's `offline` (its presence is in its
 * retained `online` for all to read), and the offerer hands that box's jobs to others while it
 * still runs them. With identities the offerer takes a status only when signed by the site's
 * own key.
 */
const KEY = Buffer.from('fleet-group-key-0123456789-abcdefghijklmnop');
const GROUP = 'ids-status';
const P2 = 'b2'.repeat(16);
const keys = boxKeys('hq', 'box-b', 'mallet');
const members = [keys.hq, keys['box-b']];

function statusOf(state: 'online' | 'offline', siteId: string, presence: string): StatusPayload {
  return buildStatus(state, { siteId, version: '0.0.0-test', clientId: `earshot-${siteId}`, presence });
}

t.test("a member's offline signed by another key holding the group key takes none of its jobs back; its own does", async (t) => {
  const broker = await new Mosquitto().start();
  t.teardown(() => broker.stop());
  const topics = fleetTopics(GROUP);
  const boxB: FleetKey = { group: GROUP, key: KEY, identity: identityOf(keys['box-b']) };
  const mallet: FleetKey = { group: GROUP, key: KEY, identity: identityOf(keys.mallet) };
  const offerer = await offererOn(t, broker.url, GROUP, KEY, identityOf(keys.hq, members));

  const client = await mqtt.connectAsync(broker.url, { clientId: 'box-b' });
  t.teardown(() => client.endAsync(true));
  await client.subscribeAsync(topics.grantWildcard('box-b'), { qos: 1 });
  await client.publishAsync('earshot/box-b/status', JSON.stringify(sealFleetMessage(boxB, 'status', statusOf('online', 'box-b', P2))), { qos: 1 });
  void offerer.offer('job-1', { file: '/spool/job-1.wav' });
  const grant = new Promise<JobGrantPayload>((resolve) => client.once('message', (_topic, payload) => resolve(JSON.parse(payload.toString()) as JobGrantPayload)));
  const claim: JobClaimPayload = { v: 1, jobId: 'job-1', attempt: 1, takenBy: 'box-b', ts: new Date().toISOString() };
  await client.publishAsync(topics.claim('job-1'), JSON.stringify(sealFleetMessage(boxB, 'job-claim', claim)), { qos: 1 });
  t.equal((await grant).granted, true, 'box-b, online, was granted job-1');

  const settle = async () => {
    await client.publishAsync('earshot/probe/settle', 'x', { qos: 1 });
    await new Promise((r) => setTimeout(r, 300));
  };
  await client.publishAsync('earshot/box-b/status', JSON.stringify(sealFleetMessage(mallet, 'status', statusOf('offline', 'box-b', P2))), { qos: 1 });
  await settle();
  t.equal(offerer.stats().reoffered, 0, "box-b's offline signed by mallet (group key, its own unlisted key) takes nothing back");
  t.equal(offerer.stats().granted, 1, 'box-b still holds job-1');

  await client.publishAsync('earshot/box-b/status', JSON.stringify(sealFleetMessage(boxB, 'status', statusOf('offline', 'box-b', P2))), { qos: 1 });
  await settle();
  t.equal(offerer.stats().reoffered, 1, "box-b's own offline offers its job again");
});
