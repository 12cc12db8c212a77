import t, { type Test } from 'tap';
import { rmSync, writeFileSync } from 'node:fs';
import mqtt from 'mqtt';
import type { JobResultPayload } from '../../../daemon/mqtt/payloads/job.js';
import { fleetTopics } from '../../../daemon/mqtt/topics.js';
import { Mosquitto } from '../../helpers/mosquitto.js';
import { tempDir } from '../../helpers/paths.js';
import { offererOn, startLocalBox } from '../helpers/fleet-boxes.js';

/**
 * Without a group key (mqtt.fleet.keyFile) fleet messages are not signed: anyone who may
 * publish under the group's topics can send anything there. Garbage of every shape on the offer, claim, grant and done topics must be
 * ignored — not crash the daemon's MQTT handling, not resolve a job, not steal a grant —
 * and the job must still be done, once, by the box that was granted it.
 */
/** A broker, a box of group "office" without budget yet, its offerer, and mallory connected beside them. */
async function groupUnderAttack(t: Test) {
  const broker = await new Mosquitto().start();
  t.teardown(() => broker.stop());
  const group = 'office';
  const box = await startLocalBox(t, broker.url, group, 'box-b', tempDir(), false);
  const offerer = await offererOn(t, broker.url, group);
  const mallory = await mqtt.connectAsync(broker.url, { clientId: 'mallory' });
  t.teardown(() => mallory.endAsync(true));
  return { topics: fleetTopics(group), box, offerer, mallory };
}

const HOSTILE = ['null', '[]', '1', '"x"', '{}', 'not json', Buffer.from([0xff, 0xfe, 0x00, 0xc3]), Buffer.alloc(256 * 1024, '{')];

t.test('hostile payloads on every fleet topic are ignored and the job is still done once', async (t) => {
  const { topics, box, offerer, mallory } = await groupUnderAttack(t);

  let result: JobResultPayload | undefined;
  void offerer.offer('job-1', { file: '/spool/job-1.wav' }).then((d) => (result = d));
  const ts = new Date().toISOString();
  const shaped = [
    // Right topic, wrong types in fields the handlers read.
    { topic: topics.claim('job-1'), body: { v: 1, jobId: 'job-1', attempt: '1', takenBy: 'mallory', ts } },
    { topic: topics.claim('job-1'), body: { v: 1, jobId: { toString: 1 }, attempt: 1, takenBy: ['mallory'], ts } },
    { topic: topics.grant('box-b', 'job-1'), body: { v: 1, jobId: 'job-1', attempt: 1, takenBy: 'box-b', granted: 'yes', ts } },
    { topic: topics.done('job-1'), body: { jobId: 'job-1', status: 'ok' } },
    { topic: topics.done('job-1'), body: { v: 1, jobId: 'job-1', attempt: 1, takenBy: 'box-b', ts, status: 'error' } },
    // Well formed, but from a box the job was never granted to.
    { topic: topics.done('job-1'), body: { v: 1, jobId: 'job-1', attempt: 1, takenBy: 'mallory', ts, status: 'ok', result: 'forged' } },
    { topic: topics.offers, body: { v: 1, jobId: 'job-x', offeredBy: 'mallory', attempt: -1, job: null, ts, claimBy: 'soon' } },
  ];
  for (const topic of [topics.offers, topics.claim('job-1'), topics.grant('box-b', 'job-1'), topics.done('job-1')]) {
    for (const body of HOSTILE) await mallory.publishAsync(topic, body, { qos: 1 });
  }
  for (const { topic, body } of shaped) await mallory.publishAsync(topic, JSON.stringify(body), { qos: 1 });
  // A round trip through the broker: everything sent before it has been delivered.
  await mallory.publishAsync(`${topics.offers}/probe`, 'x', { qos: 1 });
  await new Promise((r) => setTimeout(r, 500));
  t.equal(result, undefined, 'no hostile message resolved the job');
  t.equal(offerer.stats().granted, 0, 'and none took the grant');

  // Now the real box gets budget; the job is offered again when its claim time runs out.
  writeFileSync(box.budgetFile, '');
  const until = Date.now() + 20_000;
  while (!result && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  t.equal(result?.status, 'ok', 'the job was done');
  t.equal(result?.takenBy, 'box-b', 'by the box that was granted it');
  t.same(box.completed(), ['job-1'], 'once');
  rmSync(box.budgetFile, { force: true });
});

t.test('a flood of forged offline statuses re-offers a job at most once a second, and only for a box seen online', async (t) => {
  const broker = await new Mosquitto().start();
  t.teardown(() => broker.stop());
  const group = 'office';
  const offerer = await offererOn(t, broker.url, group);
  const mallory = await mqtt.connectAsync(broker.url, { clientId: 'mallory' });
  t.teardown(() => mallory.endAsync(true));
  // Well-formed statuses (anyone may publish one where the broker allows, without a key).
  const status = (state: string) => JSON.stringify({ v: 1, siteId: 'box-z', state, version: '0.1.0', clientId: 'earshot-box-z', ts: new Date().toISOString() });
  const offline = status('offline');
  const online = status('online');
  void offerer.offer('job-1', { file: '/spool/job-1.wav' });
  await new Promise((r) => setTimeout(r, 1100));
  // Offline for a box never seen online: nothing to do.
  for (let i = 0; i < 50; i++) await mallory.publishAsync('earshot/box-z/status', offline, { qos: 1 });
  await mallory.publishAsync('earshot/probe/x', 'x', { qos: 1 });
  await new Promise((r) => setTimeout(r, 300));
  t.equal(offerer.stats().reoffered, 0, 'fifty offline statuses for a box never seen online re-offer nothing');
  // Online then offline, over and over: one re-offer per second of the flood at most.
  const floodStarted = Date.now();
  for (let i = 0; i < 50; i++) {
    await mallory.publishAsync('earshot/box-z/status', online, { qos: 1 });
    await mallory.publishAsync('earshot/box-z/status', offline, { qos: 1 });
  }
  await mallory.publishAsync('earshot/probe/x', 'x', { qos: 1 });
  const floodMs = Date.now() - floodStarted;
  await new Promise((r) => setTimeout(r, 300));
  const reoffered = offerer.stats().reoffered;
  t.ok(reoffered >= 1 && reoffered <= 1 + Math.floor(floodMs / 1000), `fifty online/offline pairs in ${floodMs} ms: the unclaimed job went out again ${reoffered} time(s), not 50`);
});

t.test('site names and job ids that no topic may hold are refused, and the offerer stays connected', async (t) => {
  const { topics, box, offerer, mallory } = await groupUnderAttack(t);
  let result: JobResultPayload | undefined;
  void offerer.offer('job-1', { file: '/spool/job-1.wav' }).then((d) => (result = d));
  const ts = new Date().toISOString();
  // A grant goes to grant/<takenBy>/<job>: a NUL or control character there would make the
  // broker drop the offerer's connection at every reconnect. Likewise a claim for such a job id.
  for (const takenBy of ['box\u0000', 'box\u0001', 'box\u0085', 'b\ufffe']) {
    await mallory.publishAsync(topics.claim('job-1'), JSON.stringify({ v: 1, jobId: 'job-1', attempt: 1, takenBy, ts }), { qos: 1 });
  }
  await mallory.publishAsync(topics.offers, JSON.stringify({ v: 1, jobId: 'job\u0000x', offeredBy: 'mallory', attempt: 1, job: {}, ts, claimBy: new Date(Date.now() + 60_000).toISOString() }), { qos: 1 });
  await mallory.publishAsync(`${topics.offers}/probe`, 'x', { qos: 1 });
  await new Promise((r) => setTimeout(r, 500));
  t.equal(offerer.stats().granted, 0, 'no grant for an impossible site name');
  writeFileSync(box.budgetFile, '');
  const until = Date.now() + 20_000;
  while (!result && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  t.equal(result?.takenBy, 'box-b', 'the job was still done by the real box: both connections stayed up');
});
