import t, { type Test } from 'tap';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import type { JobClaimPayload, JobGrantPayload } from '../../../daemon/mqtt/payloads/job.js';
import { buildStatus, newPresence, presenceSequence, type StatusPayload } from '../../../daemon/mqtt/payloads/status.js';
import { readFleetMessage, sealFleetMessage, type FleetKey } from '../../../daemon/mqtt/fleet/fleet-signature.js';
import { fleetTopics } from '../../../daemon/mqtt/topics.js';
import { Mosquitto } from '../../helpers/mosquitto.js';
import { TcpProxy } from '../../helpers/tcp-proxy.js';
import { tempDir } from '../../helpers/paths.js';
import { offererOn, startLocalBox } from '../helpers/fleet-boxes.js';
import { TestSubscriber } from '../helpers/subscriber.js';

const KEY = Buffer.from('fleet-group-key-0123456789-abcdefghijklmnop');
const GROUP = 'office';
const signed: FleetKey = { group: GROUP, key: KEY };
const P1 = 'a1'.repeat(16);
const P2 = 'b2'.repeat(16);
const P3 = 'c3'.repeat(16);

function statusOf(state: 'online' | 'offline', siteId: string, presence?: string): StatusPayload {
  return buildStatus(state, { siteId, version: '0.0.0-test', clientId: `earshot-${siteId}`, ...(presence ? { presence } : {}) });
}

function bytes(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

/** A round trip through the broker from `client`, then time for the offerer's handlers. */
async function settle(client: MqttClient): Promise<void> {
  await client.publishAsync('earshot/probe/settle', 'x', { qos: 1 });
  await new Promise((r) => setTimeout(r, 300));
}

/** An offerer with job-1 granted to box-b, whose connection P2 is online (box-b played by a test client). */
async function jobGrantedUnderP2(t: Test, key: Buffer | null) {
  const broker = await new Mosquitto().start();
  t.teardown(() => broker.stop());
  const fleet: FleetKey = { group: GROUP, key };
  const topics = fleetTopics(GROUP);
  const offerer = await offererOn(t, broker.url, GROUP, key);
  const boxB = await mqtt.connectAsync(broker.url, { clientId: 'box-b' });
  t.teardown(() => boxB.endAsync(true));
  await boxB.subscribeAsync(topics.grantWildcard('box-b'), { qos: 1 });
  await boxB.publishAsync('earshot/box-b/status', bytes(sealFleetMessage(fleet, 'status', statusOf('online', 'box-b', P2))), { qos: 1 });
  void offerer.offer('job-1', { file: '/spool/job-1.wav' });
  /** box-b claims an attempt of job-1; resolves with the offerer's answer. */
  const claim = async (attempt: number): Promise<JobGrantPayload> => {
    const grant = new Promise<JobGrantPayload>((resolve) => boxB.once('message', (_topic, payload) => resolve(JSON.parse(payload.toString()) as JobGrantPayload)));
    const body: JobClaimPayload = { v: 1, jobId: 'job-1', attempt, takenBy: 'box-b', ts: new Date().toISOString() };
    await boxB.publishAsync(topics.claim('job-1'), bytes(sealFleetMessage(fleet, 'job-claim', body)), { qos: 1 });
    return grant;
  };
  t.equal((await claim(1)).granted, true, 'box-b, online as P2, was granted job-1');
  const status = (state: 'online' | 'offline', site: string, presence?: string, ts?: string) => bytes(sealFleetMessage(fleet, 'status', { ...statusOf(state, site, presence), ...(ts ? { ts } : {}) }));
  return { broker, offerer, boxB, status, claim };
}

t.test('with a group key, a granted job goes out again only on the signed offline of the connection that is up, once; replays change nothing', async (t) => {
  const { broker, offerer, boxB, status, claim } = await jobGrantedUnderP2(t, KEY);
  const mallory = await mqtt.connectAsync(broker.url, { clientId: 'mallory' });
  t.teardown(() => mallory.endAsync(true));

  await mallory.publishAsync('earshot/box-b/status', bytes(statusOf('offline', 'box-b', P2)), { qos: 1 });
  await settle(mallory);
  t.equal(offerer.stats().reoffered, 0, 'an unsigned offline is ignored');

  await boxB.publishAsync('earshot/box-b/status', status('offline', 'box-b', P1), { qos: 1 });
  await settle(boxB);
  t.equal(offerer.stats().reoffered, 0, 'a signed offline of an earlier connection (a late will, or replayed) does not take the job back: the box is up');

  await boxB.publishAsync('earshot/box-c/status', status('offline', 'box-b', P2), { qos: 1 });
  await settle(boxB);
  t.equal(offerer.stats().reoffered, 0, "box-b's signed offline replayed on another site's topic is ignored");

  await boxB.publishAsync('earshot/box-b/status', status('offline', 'box-b', P2), { qos: 1 });
  await settle(boxB);
  t.equal(offerer.stats().reoffered, 1, 'the offline of the connection that is up offers the job again');
  t.equal(offerer.stats().granted, 0, 'as an unclaimed new attempt');

  await boxB.publishAsync('earshot/box-b/status', status('offline', 'box-b', P2), { qos: 1 });
  await settle(boxB);
  t.equal(offerer.stats().reoffered, 1, 'the same offline again changes nothing');

  // The job is granted again, to box-b on a new connection P3. An old connection's signed
  // pair, replayed, must not take it back: P2 went offline (it never returns), and P1's
  // online is older than P3's.
  await boxB.publishAsync('earshot/box-b/status', status('online', 'box-b', P3), { qos: 1 });
  t.equal((await claim(2)).granted, true, 'attempt 2 granted to box-b on P3');
  const longAgo = new Date(Date.now() - 3600_000).toISOString();
  for (const [presence, ts] of [[P2, undefined], [P1, longAgo]] as const) {
    await boxB.publishAsync('earshot/box-b/status', status('online', 'box-b', presence, ts), { qos: 1 });
    await boxB.publishAsync('earshot/box-b/status', status('offline', 'box-b', presence, ts), { qos: 1 });
  }
  await settle(boxB);
  t.equal(offerer.stats().reoffered, 1, 'replayed pairs of old connections do not take the job back');
  t.equal(offerer.stats().granted, 1, 'it stays granted to box-b');

  // box-b's status connection goes (attempt 3 is offered), while its fleet connection is
  // still up and claims it. An old pair replayed now, with the box offline, must not take
  // it back either: P1's online is older than the newest online known.
  await boxB.publishAsync('earshot/box-b/status', status('offline', 'box-b', P3), { qos: 1 });
  await settle(boxB);
  t.equal(offerer.stats().reoffered, 2, "P3's offline offers it again");
  t.equal((await claim(3)).granted, true, 'attempt 3 granted to box-b');
  await boxB.publishAsync('earshot/box-b/status', status('online', 'box-b', P1, longAgo), { qos: 1 });
  await boxB.publishAsync('earshot/box-b/status', status('offline', 'box-b', P1, longAgo), { qos: 1 });
  await settle(boxB);
  t.equal(offerer.stats().reoffered, 2, 'an old pair replayed while the box is offline changes nothing');
});

t.test("a box's onlines are ordered by its connection sequence, not its clock: a step back of the clock changes nothing", async (t) => {
  const { offerer, boxB, status, claim } = await jobGrantedUnderP2(t, KEY);
  const hourAgo = new Date(Date.now() - 3600_000).toISOString();
  const [s0, s1, s2, s3] = [150, 200, 201, 202].map((n) => newPresence(n));
  await boxB.publishAsync('earshot/box-b/status', status('offline', 'box-b', P2), { qos: 1 });
  await boxB.publishAsync('earshot/box-b/status', status('online', 'box-b', s1), { qos: 1 });
  t.equal((await claim(2)).granted, true, 'attempt 2 granted to box-b on its connection 200');
  await boxB.publishAsync('earshot/box-b/status', status('offline', 'box-b', s1), { qos: 1 });
  await settle(boxB);
  t.equal(offerer.stats().reoffered, 2, "connection 200's offline offers it again");

  // NTP stepped the box's clock back an hour; its next connection is still the newest
  await boxB.publishAsync('earshot/box-b/status', status('online', 'box-b', s2, hourAgo), { qos: 1 });
  t.equal((await claim(3)).granted, true, 'attempt 3 granted to box-b on connection 201');
  await boxB.publishAsync('earshot/box-b/status', status('offline', 'box-b', s2, hourAgo), { qos: 1 });
  await settle(boxB);
  t.equal(offerer.stats().reoffered, 3, "connection 201's online counted, so its offline offers the job again at once");

  // and an older connection's pair, replayed with a newer clock, is not taken for the box
  await boxB.publishAsync('earshot/box-b/status', status('online', 'box-b', s3, hourAgo), { qos: 1 });
  t.equal((await claim(4)).granted, true, 'attempt 4 granted on connection 202');
  await boxB.publishAsync('earshot/box-b/status', status('online', 'box-b', s0), { qos: 1 });
  await boxB.publishAsync('earshot/box-b/status', status('offline', 'box-b', s0), { qos: 1 });
  await settle(boxB);
  t.equal(offerer.stats().reoffered, 3, 'a replayed pair of connection 150 does not take the job back');
  t.equal(offerer.stats().granted, 1, 'it stays granted on connection 202');
});

t.test('without a key, a late offline of an earlier connection leaves a job alone; one without a presence (an older box) is taken at its word', async (t) => {
  const { offerer, boxB, status } = await jobGrantedUnderP2(t, null);
  await boxB.publishAsync('earshot/box-b/status', status('offline', 'box-b', P1), { qos: 1 });
  await settle(boxB);
  t.equal(offerer.stats().reoffered, 0, 'offline of P1 while P2 is up: the job stays granted');
  t.equal(offerer.stats().granted, 1);
  await boxB.publishAsync('earshot/box-b/status', status('offline', 'box-b'), { qos: 1 });
  await settle(boxB);
  t.equal(offerer.stats().reoffered, 1, 'an offline without a presence takes it back');
});

t.test("a box's status carries a fresh presence per connection, signed with its group key; its wills do not make jobs run twice", async (t) => {
  const broker = await new Mosquitto().start();
  t.teardown(() => broker.stop());
  const proxy = await new TcpProxy(broker.port).start();
  t.teardown(() => proxy.stop());
  const dir = tempDir();
  const keyFile = join(dir, 'fleet.key');
  writeFileSync(keyFile, `${KEY.toString()}\n`);
  chmodSync(keyFile, 0o600);
  const heard = await TestSubscriber.connect(broker.url, 'earshot/box-p/status');
  t.teardown(() => heard.client.endAsync(true));
  const statuses = () => heard.on('earshot/box-p/status').map((m) => m.json<StatusPayload>());

  // The box reaches the broker through the relay; the offering site and the listener do not.
  const box = await startLocalBox(t, proxy.url, GROUP, 'box-p', dir, true, keyFile);
  const offerer = await offererOn(t, broker.url, GROUP, KEY);
  await heard.waitFor(() => statuses().length >= 1, 5000, 'online');
  const p1 = statuses()[0]!.presence!;
  t.match(statuses()[0], { state: 'online', presence: /^[0-9a-z]{9}-[0-9a-f]{32}$/ }, 'online carries a presence: its place in the sequence, and 128 random bits');
  t.equal((await offerer.offer('job-1', { file: '/spool/job-1.wav' })).takenBy, 'box-p', 'the box takes a job');

  // Two network drops: the broker publishes each connection's own will, and each new
  // connection comes with a new presence. (An online whose PUBACK the drop cut off is sent
  // again on the next connection, so the same status may come twice.)
  const onlinePresences = () => [...new Set(statuses().filter((s) => s.state === 'online').map((s) => s.presence))];
  for (let drop = 1; drop <= 2; drop++) {
    t.ok(proxy.cut() >= 1, `drop ${drop}: the box's connections are cut`);
    await heard.waitFor(() => onlinePresences().length >= drop + 1, 10_000, `a new online after drop ${drop}`);
  }
  const [q1, q2, q3] = onlinePresences();
  t.equal(q1, p1);
  t.ok(q1 && q2 && q3 && new Set([q1, q2, q3]).size === 3, 'each connection has its own presence');
  const order = [q1, q2, q3].map((q) => presenceSequence(q));
  t.ok(order[0]! < order[1]! && order[1]! < order[2]!, `each connection comes later in the box's sequence (${order.join(' < ')})`);
  const seen = statuses();
  for (const [i, p] of [q1, q2].entries()) {
    const firstOnline = seen.findIndex((s) => s.state === 'online' && s.presence === p);
    const will = seen.findIndex((s) => s.state === 'offline' && s.presence === p);
    t.ok(will > firstOnline, `connection ${i + 1}: its will names its own presence`);
    t.equal(seen[will]?.reason, 'connection lost', `connection ${i + 1}: the offline is the will`);
  }
  t.equal(seen.filter((s) => s.state === 'offline').length, 2, 'one will per drop');
  for (const s of seen) t.ok('value' in readFleetMessage(signed, 'status', bytes(s)), `${s.state} (${s.presence}) is signed with the group key`);
  const late = await TestSubscriber.connect(broker.url, 'earshot/box-p/status');
  t.teardown(() => late.client.endAsync(true));
  await late.waitFor((m) => m.length >= 1, 5000, 'retained status');
  t.match(late.messages[0]!.json<StatusPayload>(), { state: 'online', presence: q3 }, "the retained status is the live connection's online");

  // The offerer heard every will of the box, yet each was followed by a new connection: a
  // job offered now is still taken, and was never offered twice.
  t.equal((await offerer.offer('job-2', { file: '/spool/job-2.wav' })).takenBy, 'box-p', 'the box still takes jobs after the drops');
  t.equal(offerer.stats().reoffered, 0, 'nothing was offered again');
});
