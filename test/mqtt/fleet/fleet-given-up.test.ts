import t from 'tap';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { Mosquitto } from '../../helpers/mosquitto.js';
import { tempDir } from '../../helpers/paths.js';
import { mqttTestConfig } from '../helpers/config.js';
import { offererOn } from '../helpers/fleet-boxes.js';
import { silentLogger } from '../../../daemon/log/logger.js';
import { MqttService } from '../../../daemon/mqtt/mqtt-service.js';
import { FleetJobGivenUp } from '../../../daemon/mqtt/fleet/fleet-worker.js';
import type { JobGrantPayload, JobOfferPayload, JobResultPayload } from '../../../daemon/mqtt/payloads/job.js';
import { fleetTopics } from '../../../daemon/mqtt/topics.js';

/**
 * A box that gives a taken job up (it got too hot) hands it back: a `released` message,
 * not an error, which the offerer would take for the job's result. The offerer offers it
 * again at once, long before the lease would have ended, and the job is done.
 */
t.test('a job given up is handed back and offered again at once, not at the end of its lease', async (t) => {
  const broker = await new Mosquitto().start();
  t.teardown(() => broker.stop());
  const dir = tempDir();
  const box = new MqttService({
    config: mqttTestConfig({ url: broker.url, fleet: { enabled: true, group: 'shop', leaseSec: 60 }, reconnect: { minDelayMs: 100, maxDelayMs: 400 }, telemetryIntervalSec: 0 }),
    siteId: 'hot',
    version: '0.0.0-test',
    logger: silentLogger,
    dataDir: join(dir, 'hot'),
  });
  const attempts: number[] = [];
  box.onFleetJob(
    async (offer) => {
      attempts.push(offer.attempt);
      if (offer.attempt === 1) throw new FleetJobGivenUp('too hot');
      return { text: 'done on the second offer' };
    },
    () => true,
  );
  await box.start();
  t.teardown(() => box.stop());
  // The lease (60 s) is far beyond the test's time: only the hand-back can bring the second offer.
  const offerer = await offererOn(t, broker.url, 'shop');

  const started = Date.now();
  const done = await offerer.offer('j1', { file: 'f1' });
  t.match(done, { status: 'ok', attempt: 2, takenBy: 'hot' }, 'the first attempt was handed back, not answered with an error; the second was done');
  t.ok(Date.now() - started < 20_000, `done in ${Date.now() - started} ms, within the 60 s lease`);
  t.same(attempts, [1, 2]);
  t.match(offerer.stats(), { reoffered: 1, done: 1 });
  // The worker frees the second job's slot just after publishing its result.
  for (let i = 0; i < 100 && box.state().fleet?.worker?.running !== 0; i++) await new Promise((r) => setTimeout(r, 20));
  t.match(box.state().fleet?.worker, { running: 0, held: 0, failed: 0 }, 'both slots freed, and nothing counted as failed');
});

t.test('only the box holding the current attempt can hand it back', async (t) => {
  const broker = await new Mosquitto().start();
  t.teardown(() => broker.stop());
  const topics = fleetTopics('shop');
  const offerer = await offererOn(t, broker.url, 'shop');
  // Two boxes speaking the protocol by hand, and what the offerer sends them.
  const peer = await mqtt.connectAsync(broker.url, { clientId: 'peer' });
  t.teardown(() => peer.endAsync(true));
  const offers: JobOfferPayload[] = [];
  const grants: JobGrantPayload[] = [];
  peer.on('message', (topic, payload) => {
    const body = JSON.parse(payload.toString());
    if (topic === topics.offers) offers.push(body as JobOfferPayload);
    else grants.push(body as JobGrantPayload);
  });
  await peer.subscribeAsync({ [topics.offers]: { qos: 1 }, [topics.grantWildcard('box-a')]: { qos: 1 }, [topics.grantWildcard('box-b')]: { qos: 1 } });
  const until = async (what: string, ok: () => boolean) => {
    for (const end = Date.now() + 10_000; !ok(); await new Promise((r) => setTimeout(r, 20))) if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
  };
  const send = (topic: string, body: Record<string, unknown>) => peer.publishAsync(topic, JSON.stringify({ v: 1, jobId: 'j1', ts: new Date().toISOString(), ...body }), { qos: 1 });
  /** Sends, then a round trip through the broker and the offerer's handling of it. */
  const settle = async () => {
    await peer.publishAsync(`${topics.offers}/probe`, 'x', { qos: 1 });
    await new Promise((r) => setTimeout(r, 300));
  };

  let result: JobResultPayload | undefined;
  void offerer.offer('j1', { file: 'f1' }).then((d) => (result = d));
  await until('the first offer', () => offers.length === 1);
  await send(topics.claim('j1'), { attempt: 1, takenBy: 'box-a' });
  await until('the grant to box-a', () => grants.some((g) => g.takenBy === 'box-a' && g.granted));

  await send(topics.done('j1'), { attempt: 1, takenBy: 'box-b', status: 'released', reason: 'forged' });
  await settle();
  t.equal(offers.length, 1, 'a release from a box not granted the attempt is ignored');

  await send(topics.done('j1'), { attempt: 1, takenBy: 'box-a', status: 'released', reason: 'too hot' });
  await until('the second offer', () => offers.length === 2);
  t.match(offers[1], { jobId: 'j1', attempt: 2 }, 'box-a handed attempt 1 back: offered again as attempt 2');

  await send(topics.claim('j1'), { attempt: 2, takenBy: 'box-b' });
  await until('the grant to box-b', () => grants.some((g) => g.takenBy === 'box-b' && g.granted));
  await send(topics.done('j1'), { attempt: 1, takenBy: 'box-a', status: 'released', reason: 'too hot' });
  await settle();
  t.equal(offers.length, 2, 'a late or replayed release of attempt 1 does not take attempt 2 from box-b');
  t.equal(result, undefined, 'and no release resolved the job');

  await send(topics.done('j1'), { attempt: 2, takenBy: 'box-b', status: 'ok', result: { text: 'hello' } });
  await until('the result', () => result !== undefined);
  t.match(result, { status: 'ok', takenBy: 'box-b', attempt: 2 });
});
