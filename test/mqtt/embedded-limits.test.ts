import t, { type Test } from 'tap';
import { connect } from 'node:net';
import mqtt from 'mqtt';
import { generate } from 'mqtt-packet';
import { MqttService } from '../../daemon/mqtt/mqtt-service.js';
import { MAX_OUTSIDER_RETAINED_BYTES, MAX_OUTSIDER_RETAINED_TOPICS } from '../../daemon/mqtt/broker/retained-budget.js';
import { silentLogger } from '../../daemon/log/logger.js';
import { tempDir } from '../helpers/paths.js';
import { mqttTestConfig } from './helpers/config.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function daemonOnEmbeddedBroker(t: Test, siteId: string) {
  const service = new MqttService({ config: mqttTestConfig({ embedded: { port: 0 }, telemetryIntervalSec: 0 }), siteId, version: '0.0.0-test', logger: silentLogger, dataDir: tempDir() });
  await service.start();
  t.teardown(() => service.stop());
  return { service, address: service.embeddedBrokerAddress()! };
}

/**
 * What a late subscriber to `filter` is handed as retained, once `count` have come; at the
 * deadline, what came by then, for the assertion to show. With count 0 there is nothing to
 * wait for: it listens for half a second (an absence can only be looked for a while).
 */
async function retainedOn(url: string, filter: string, count: number, timeoutMs = 15_000): Promise<string[]> {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, protocolVersion: 4 });
  const topics: string[] = [];
  client.on('message', (topic, _payload, packet) => packet.retain && topics.push(topic));
  await client.subscribeAsync(filter, { qos: 0 });
  if (count === 0) await sleep(500);
  const deadline = Date.now() + timeoutMs;
  while (topics.length < count && Date.now() < deadline) await sleep(20);
  await client.endAsync(true);
  return topics.sort();
}

/**
 * Publishes one retained message at QoS 1 from a client of its own: 'taken' at its PUBACK,
 * 'refused' when the broker closes the connection instead (MQTT 3.1.1 has no negative PUBACK).
 * Either way the broker has dealt with it when this resolves.
 */
async function retainOnce(url: string, topic: string, payload: Buffer | string): Promise<'taken' | 'refused'> {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, protocolVersion: 4 });
  client.on('error', () => undefined);
  const closed = new Promise<'refused'>((resolve) => client.once('close', () => resolve('refused')));
  const acked = client.publishAsync(topic, payload, { qos: 1, retain: true }).then(() => 'taken' as const);
  try {
    return await Promise.race([acked, closed]);
  } finally {
    await client.endAsync(true);
  }
}

const range = (n: number, name: (i: number) => string) => Array.from({ length: n }, (_, i) => name(i));

t.test('a client announcing a 20 MB packet is disconnected before the broker buffers it', async (t) => {
  const { service, address } = await daemonOnEmbeddedBroker(t, 'lab-big');
  const announced = 20 * 1024 * 1024;
  const before = process.memoryUsage().arrayBuffers;
  const socket = connect(address.port, address.host);
  socket.on('error', () => undefined);
  let closed = false;
  socket.on('close', () => (closed = true));
  await new Promise((r) => socket.once('connect', r));
  socket.write(generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'big-sender', clean: true, keepalive: 60 }));
  // A PUBLISH header announcing 20 MB (retained, QoS 0), then the body in 64 KiB pieces,
  // one short of complete: a broker that buffers it holds all of it now.
  const lengthBytes: number[] = [];
  for (let n = announced; n > 0 || lengthBytes.length === 0; n = Math.floor(n / 128)) lengthBytes.push(n >= 128 ? (n % 128) | 0x80 : n);
  socket.write(Buffer.from([0x31, ...lengthBytes, 0, 8, ...Buffer.from('junk/big')]));
  const piece = Buffer.alloc(64 * 1024, 0x61);
  let sent = 0;
  while (!closed && sent < announced - piece.length) {
    const ok = await new Promise<boolean>((resolve) => socket.write(piece, (err) => resolve(!err)));
    if (!ok) break;
    sent += piece.length;
  }
  await sleep(200);
  const grew = process.memoryUsage().arrayBuffers - before;
  t.ok(closed, 'the broker closed the connection');
  t.ok(sent < announced / 2, `the sender got ${(sent / 1024 / 1024).toFixed(1)} MB out before that (into socket buffers), not the 20 MB`);
  t.ok(grew < 8 * 1024 * 1024, `buffers grew by ${(grew / 1024 / 1024).toFixed(1)} MB, far from the 20 MB announced`);
  socket.destroy();
  t.same(await retainedOn(address.url, 'junk/#', 0), [], 'nothing was retained');
  t.equal(service.state().connection?.connects, 1, 'the daemon stayed connected');
});

t.test('retained messages from other clients are bounded in count and bytes', async (t) => {
  const { address } = await daemonOnEmbeddedBroker(t, 'lab-flood');
  // Bytes: 700 KiB each, so the byte budget runs out well before ten.
  const size = 700 * 1024;
  const fit = Math.floor(MAX_OUTSIDER_RETAINED_BYTES / size);
  const answers: string[] = [];
  for (let i = 0; i < 10; i++) answers.push(await retainOnce(address.url, `junk/big/${i}`, Buffer.alloc(size, 0x62)));
  t.same(answers, [...range(fit, () => 'taken'), ...range(10 - fit, () => 'refused')], `the first ${fit} taken, the rest refused: the byte budget`);
  const big = range(fit, (i) => `junk/big/${i}`).sort();
  t.same(await retainedOn(address.url, 'junk/big/#', fit), big, `${fit} of 10 kept`);

  // Clearing one (an empty retained message) gives its room back.
  t.equal(await retainOnce(address.url, 'junk/big/0', ''), 'taken', 'the clearing is taken');
  t.equal(await retainOnce(address.url, 'junk/big/9', Buffer.alloc(size, 0x62)), 'taken', 'and one more fits in the room it gave back');
  const afterClearing = [...big.filter((x) => x !== 'junk/big/0'), 'junk/big/9'].sort();
  t.same(await retainedOn(address.url, 'junk/big/#', afterClearing.length), afterClearing, 'one cleared, one more taken');

  // Count: many small ones from one client; past the bound it is refused (and disconnected).
  const flooder = await mqtt.connectAsync(address.url, { reconnectPeriod: 0, protocolVersion: 4 });
  flooder.on('error', () => undefined);
  t.teardown(() => flooder.endAsync(true));
  const disconnected = new Promise<void>((resolve) => flooder.once('close', () => resolve()));
  for (let i = 0; i < MAX_OUTSIDER_RETAINED_TOPICS + 50; i++) flooder.publish(`junk/small/${i}`, 'x', { qos: 0, retain: true });
  // The broker closes the connection at the first refusal: by then it has taken all it will.
  const deadline = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), 15_000).unref());
  t.not(await Promise.race([disconnected, deadline]), 'late', 'the broker disconnected the flooder at the bound');
  const room = MAX_OUTSIDER_RETAINED_TOPICS - afterClearing.length;
  const small = range(room, (i) => `junk/small/${i}`).sort();
  t.same(await retainedOn(address.url, 'junk/small/#', room), small, `the first ${room} small ones kept: the topic budget, with the big ones counted`);
});
