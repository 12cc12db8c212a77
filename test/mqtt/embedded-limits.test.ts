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

/** What a late subscriber to `filter` is handed as retained. */
async function retainedOn(url: string, filter: string): Promise<string[]> {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, protocolVersion: 4 });
  const topics: string[] = [];
  client.on('message', (topic, _payload, packet) => packet.retain && topics.push(topic));
  await client.subscribeAsync(filter, { qos: 0 });
  await sleep(500);
  await client.endAsync(true);
  return topics;
}

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
  t.same(await retainedOn(address.url, 'junk/#'), [], 'nothing was retained');
  t.equal(service.state().connection?.connects, 1, 'the daemon stayed connected');
});

t.test('retained messages from other clients are bounded in count and bytes', async (t) => {
  const { address } = await daemonOnEmbeddedBroker(t, 'lab-flood');
  // Bytes: 700 KiB each, so the byte budget runs out well before ten.
  const size = 700 * 1024;
  for (let i = 0; i < 10; i++) {
    const client = await mqtt.connectAsync(address.url, { reconnectPeriod: 0, protocolVersion: 4 });
    client.on('error', () => undefined);
    client.publish(`junk/big/${i}`, Buffer.alloc(size, 0x62), { qos: 0, retain: true });
    await sleep(50);
    await client.endAsync(true);
  }
  const big = await retainedOn(address.url, 'junk/big/#');
  t.equal(big.length, Math.floor(MAX_OUTSIDER_RETAINED_BYTES / size), `${big.length} of 10 kept: the byte budget`);

  // Clearing one (an empty retained message) gives its room back.
  const clearer = await mqtt.connectAsync(address.url, { reconnectPeriod: 0, protocolVersion: 4 });
  await clearer.publishAsync('junk/big/0', '', { qos: 1, retain: true });
  await clearer.publishAsync('junk/big/9', Buffer.alloc(size, 0x62), { qos: 1, retain: true });
  await clearer.endAsync();
  t.same((await retainedOn(address.url, 'junk/big/#')).sort(), [...big.filter((x) => x !== 'junk/big/0'), 'junk/big/9'].sort(), 'one cleared, one more taken');

  // Count: many small ones from one client; past the bound it is refused (and disconnected).
  const flooder = await mqtt.connectAsync(address.url, { reconnectPeriod: 0, protocolVersion: 4 });
  flooder.on('error', () => undefined);
  for (let i = 0; i < MAX_OUTSIDER_RETAINED_TOPICS + 50 && flooder.connected; i++) flooder.publish(`junk/small/${i}`, 'x', { qos: 0, retain: true });
  await sleep(500);
  await flooder.endAsync(true);
  const small = await retainedOn(address.url, 'junk/small/#');
  t.ok(small.length <= MAX_OUTSIDER_RETAINED_TOPICS - big.length, `${small.length} small ones kept: within the topic budget`);
});
