import t from 'tap';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { JobClaimPayload, JobDonePayload, JobGrantPayload, JobOfferPayload } from '../../../daemon/mqtt/payloads/job.js';
import { readFleetMessage, sealFleetMessage, type FleetKey } from '../../../daemon/mqtt/fleet/fleet-signature.js';
import { fleetTopics } from '../../../daemon/mqtt/topics.js';
import { Mosquitto } from '../../helpers/mosquitto.js';
import { tempDir } from '../../helpers/paths.js';
import { offererOn, startLocalBox } from '../helpers/fleet-boxes.js';
import { mqttTestConfig } from '../helpers/config.js';
import { MqttService } from '../../../daemon/mqtt/mqtt-service.js';
import { silentLogger } from '../../../daemon/log/logger.js';

const KEY = Buffer.from('fleet-group-key-0123456789-abcdefghijklmnop');
const OTHER_KEY = Buffer.from('not-the-group-key-0123456789-abcdefghijklm');
const GROUP = 'office';
const signed: FleetKey = { group: GROUP, key: KEY };

function claimOf(takenBy: string, jobId = 'job-1', attempt = 1): JobClaimPayload {
  return { v: 1, jobId, attempt, takenBy, ts: new Date().toISOString() };
}

function bytes(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

t.test('a sealed message reads back only with the same key, group and content', async (t) => {
  const claim = claimOf('box-b');
  const sealed = sealFleetMessage(signed, 'job-claim', claim);
  t.match(sealed.sig, /^[0-9a-f]{64}$/);
  t.same(readFleetMessage(signed, 'job-claim', bytes(sealed)), { value: sealed }, 'the group reads its own message');
  // Key order on the wire does not matter: the signature is over sorted keys.
  const reordered = Object.fromEntries(Object.entries(sealed).reverse());
  t.ok('value' in readFleetMessage(signed, 'job-claim', bytes(reordered)), 'whatever the key order on the wire');

  t.match(readFleetMessage(signed, 'job-claim', bytes(claim)), { problem: /not signed/ }, 'unsigned: refused');
  t.match(readFleetMessage(signed, 'job-claim', bytes(sealFleetMessage({ group: GROUP, key: OTHER_KEY }, 'job-claim', claim))), { problem: /does not match/ }, 'another key: refused');
  t.match(readFleetMessage({ group: 'lab', key: KEY }, 'job-claim', bytes(sealed)), { problem: /does not match/ }, "another group's message: refused");
  for (const change of [{ takenBy: 'mallory' }, { attempt: 2 }, { jobId: 'job-2' }, { ts: new Date(0).toISOString() }]) {
    t.match(readFleetMessage(signed, 'job-claim', bytes({ ...sealed, ...change })), { problem: /does not match/ }, `changed on the way (${Object.keys(change)[0]}): refused`);
  }
  t.match(readFleetMessage(signed, 'job-claim', bytes({ ...sealed, sig: 'zz'.repeat(32) })), { problem: /sig/ }, 'a sig that is not hex fails the schema');
  // A signed claim read as a result of the same job: the schema name is signed too.
  const done: JobDonePayload = { v: 1, jobId: 'job-1', attempt: 1, takenBy: 'box-b', ts: claim.ts, status: 'error', error: 'x' };
  const doneSig = sealFleetMessage(signed, 'job-done', done).sig!;
  t.not(sealFleetMessage(signed, 'job-claim', done as unknown as JobClaimPayload).sig, doneSig, 'the same fields signed as another kind of message give another signature');
  t.same(readFleetMessage({ group: GROUP, key: null }, 'job-claim', bytes(sealed)), { value: sealed }, 'a box without a key still reads signed messages (a group moving to keys)');
});

t.test('an offer whose open job nests thousands deep is refused with the reason, with or without a key', async (t) => {
  const deep = '{"a":'.repeat(3000) + '1' + '}'.repeat(3000);
  const now = new Date().toISOString();
  const raw = Buffer.from(JSON.stringify({ v: 1, jobId: 'job-1', offeredBy: 'hq', attempt: 1, ts: now, claimBy: now, job: '@', sig: '0'.repeat(64) }).replace('"@"', deep));
  for (const fleet of [signed, { group: GROUP, key: null }]) {
    t.same(readFleetMessage<JobOfferPayload>(fleet, 'job', raw), { problem: '/: nested deeper than 32 levels' }, fleet.key ? 'keyed' : 'unkeyed');
  }
});

t.test('with a group key, forged offers, claims and results are ignored and the real box does the job', async (t) => {
  const broker = await new Mosquitto().start();
  t.teardown(() => broker.stop());
  const dir = tempDir();
  const topics = fleetTopics(GROUP);
  const keyFile = join(dir, 'fleet.key');
  writeFileSync(keyFile, `${KEY.toString()}\n`);
  chmodSync(keyFile, 0o600);

  // Everything said in the group, as a subscriber sees it.
  const heard: { topic: string; body: Record<string, unknown> }[] = [];
  const observer = await mqtt.connectAsync(broker.url, { clientId: 'observer' });
  t.teardown(() => observer.endAsync(true));
  observer.on('message', (topic, payload) => {
    try {
      heard.push({ topic, body: JSON.parse(payload.toString()) as Record<string, unknown> });
    } catch {
      // Garbage is the other test's business.
    }
  });
  await observer.subscribeAsync(`earshot/jobs/${GROUP}/#`, { qos: 1 });
  const mallory = await mqtt.connectAsync(broker.url, { clientId: 'mallory' });
  t.teardown(() => mallory.endAsync(true));
  const settle = async () => {
    // A round trip through the broker, then time for the handlers.
    await mallory.publishAsync(`${topics.offers}/probe`, 'x', { qos: 1 });
    await new Promise((r) => setTimeout(r, 400));
  };

  const box = await startLocalBox(t, broker.url, GROUP, 'box-b', dir, true, keyFile);
  const worker = () => box.service.state().fleet!.worker!;

  // 1. Offers from a client without the key: the box with budget claims none of them.
  const now = Date.now();
  const offer = (jobId: string): JobOfferPayload => ({ v: 1, jobId, offeredBy: 'mallory', attempt: 1, job: { file: `/spool/${jobId}.wav` }, ts: new Date(now).toISOString(), claimBy: new Date(now + 60_000).toISOString() });
  await mallory.publishAsync(topics.offers, bytes(offer('job-m1')), { qos: 1 });
  await mallory.publishAsync(topics.offers, bytes(sealFleetMessage({ group: GROUP, key: OTHER_KEY }, 'job', offer('job-m2'))), { qos: 1 });
  await settle();
  t.same(heard.filter((h) => h.topic.includes('/claim/')), [], 'no claim for an unsigned or wrongly signed offer');
  t.equal(worker().taken + worker().handedBack, 0, 'the box neither took nor handed on those offers');

  // 2. The offering site, with the key. A test client with the key plays the taker here, so
  // the forged result below is sent while the grant is known to stand.
  // Without budget the box leaves job-1 to the test's taker.
  rmSync(box.budgetFile, { force: true });
  const offerer = await offererOn(t, broker.url, GROUP, KEY);
  let result: JobDonePayload | undefined;
  void offerer.offer('job-1', { file: '/spool/job-1.wav' }).then((d) => (result = d));
  await mallory.publishAsync(topics.claim('job-1'), bytes(claimOf('mallory')), { qos: 1 });
  await mallory.publishAsync(topics.claim('job-1'), bytes(sealFleetMessage({ group: GROUP, key: OTHER_KEY }, 'job-claim', claimOf('mallory'))), { qos: 1 });
  await settle();
  t.equal(offerer.stats().granted, 0, 'a claim without the key takes no grant');
  t.same(heard.filter((h) => h.topic.includes('/grant/')), [], 'and gets no answer');

  const taker = await mqtt.connectAsync(broker.url, { clientId: 'box-t' });
  t.teardown(() => taker.endAsync(true));
  await taker.subscribeAsync(topics.grantWildcard('box-t'), { qos: 1 });
  const grant = new Promise<JobGrantPayload>((resolve) => taker.once('message', (_topic, payload) => resolve(JSON.parse(payload.toString()) as JobGrantPayload)));
  await taker.publishAsync(topics.claim('job-1'), bytes(sealFleetMessage(signed, 'job-claim', claimOf('box-t'))), { qos: 1 });
  const granted = await grant;
  t.equal(granted.granted, true, 'a signed claim is granted');
  t.ok('value' in readFleetMessage(signed, 'job-grant', bytes(granted)), 'and the grant is signed with the group key');

  const doneBy = (takenBy: string, text: string): JobDonePayload => ({ v: 1, jobId: 'job-1', attempt: 1, takenBy, ts: new Date().toISOString(), status: 'ok', result: { text } });
  await mallory.publishAsync(topics.done('job-1'), bytes(doneBy('box-t', 'forged, unsigned')), { qos: 1 });
  await mallory.publishAsync(topics.done('job-1'), bytes(sealFleetMessage({ group: GROUP, key: OTHER_KEY }, 'job-done', doneBy('box-t', 'forged, wrong key'))), { qos: 1 });
  await mallory.publishAsync(topics.done('job-1'), bytes({ ...sealFleetMessage(signed, 'job-done', doneBy('box-t', 'the real text')), result: { text: 'altered' } }), { qos: 1 });
  await settle();
  t.equal(result, undefined, 'no forged or altered result was taken');
  await taker.publishAsync(topics.done('job-1'), bytes(sealFleetMessage(signed, 'job-done', doneBy('box-t', 'the real text'))), { qos: 1 });
  const until = Date.now() + 5000;
  while (!result && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  t.same(result && 'result' in result ? result.result : undefined, { text: 'the real text' }, "the taker's signed result is taken");

  // 3. The daemon's own fleet code end to end with the key: the box takes a job and its
  // claim and result go out signed.
  writeFileSync(box.budgetFile, '');
  const real = await offerer.offer('job-2', { file: '/spool/job-2.wav' });
  t.equal(real.takenBy, 'box-b', 'the box with the key did job-2');
  t.same(box.completed(), ['job-2'], 'once, and none of the forged offers');
  await settle();
  const job2 = heard.filter((h) => h.topic.endsWith('/job-2') || h.body.jobId === 'job-2');
  t.ok(job2.length >= 4, `offer, claim, grant and result of job-2 were heard (${job2.length})`);
  for (const h of job2) {
    const schema = h.topic === topics.offers ? 'job' : h.topic.includes('/claim/') ? 'job-claim' : h.topic.includes('/grant/') ? 'job-grant' : 'job-done';
    t.ok('value' in readFleetMessage(signed, schema, bytes(h.body)), `${h.topic}: signed with the group key`);
  }
});

t.test('a group key file others can read is a config error that names the setting', async (t) => {
  const dir = tempDir();
  const keyFile = join(dir, 'fleet.key');
  writeFileSync(keyFile, KEY);
  chmodSync(keyFile, 0o644);
  const service = new MqttService({
    config: mqttTestConfig({ url: 'mqtt://127.0.0.1:1', fleet: { enabled: true, group: GROUP, keyFile } }),
    siteId: 'box-k',
    version: '0.0.0-test',
    logger: silentLogger,
    dataDir: join(dir, 'data'),
  });
  await t.rejects(service.start(), /mqtt\.fleet\.keyFile .*fleet\.key is readable by others \(mode 0644\); run: chmod 600/);
  await service.stop();
});

t.test('a box without the key in a group that signs hands offers back instead of holding them', async (t) => {
  const broker = await new Mosquitto().start();
  t.teardown(() => broker.stop());
  const dir = tempDir();
  const box = await startLocalBox(t, broker.url, GROUP, 'box-nokey', dir, true, null);
  const offerer = await offererOn(t, broker.url, GROUP, KEY);
  const claims: string[] = [];
  const observer = await mqtt.connectAsync(broker.url, { clientId: 'observer-2' });
  t.teardown(() => observer.endAsync(true));
  observer.on('message', (topic) => void claims.push(topic));
  await observer.subscribeAsync(fleetTopics(GROUP).claimWildcard, { qos: 1 });
  void offerer.offer('job-k', { file: '/spool/job-k.wav' });
  const until = Date.now() + 5000;
  while (box.service.state().fleet!.worker!.handedBack === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  t.ok(box.service.state().fleet!.worker!.handedBack >= 1, 'the offer was handed back');
  t.equal(box.service.state().fleet!.worker!.taken, 0, 'and not taken');
  t.same(claims, [], 'no unsigned claim was sent');
});
