import t from 'tap';
import mqtt from 'mqtt';
import { EmbeddedBroker } from '../../../daemon/mqtt/broker/embedded-broker.js';
import { silentLogger } from '../../../daemon/log/logger.js';
import { rawClient } from '../helpers/raw-client.js';
import { bufferBytesHeld } from '../helpers/buffer-bytes.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('QoS 2 publishes never released cost the broker their ids, not their payloads, also after the client has gone', async (t) => {
  const broker = new EmbeddedBroker({ host: '127.0.0.1', port: 0, passwordFile: null, siteId: 'lab', logger: silentLogger });
  const { port } = await broker.start();
  t.teardown(() => broker.stop());
  const before = await bufferBytesHeld();
  const count = 40;
  const size = 512 * 1024;
  // A persistent session: what is kept for it stays once it is gone (for sessionExpiryHours).
  const eve = await rawClient(port, 'eve', false);
  for (let i = 1; i <= count; i++) eve.send({ cmd: 'publish', topic: 'junk/flood', payload: Buffer.alloc(size, 0x78), qos: 2, messageId: i, retain: false, dup: false });
  await eve.until((got) => got.filter((p) => p.cmd === 'pubrec').length === count, `${count} PUBRECs`);
  eve.socket.destroy();
  await sleep(200);
  const held = (await bufferBytesHeld()) - before;
  t.ok(held < 4 * 1024 * 1024, `the broker holds ${(held / 1024 / 1024).toFixed(1)} MB after ${count} unreleased publishes of ${size / 1024} KiB (${(count * size) / 1024 / 1024} MB)`);
});

t.test('a QoS 2 publish sent again before its PUBREL is still delivered once, and PUBREL is answered', async (t) => {
  const broker = new EmbeddedBroker({ host: '127.0.0.1', port: 0, passwordFile: null, siteId: 'lab', logger: silentLogger });
  const { port, url } = await broker.start();
  t.teardown(() => broker.stop());
  const reader = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0 });
  t.teardown(() => reader.endAsync(true));
  const delivered: string[] = [];
  reader.on('message', (_topic, payload) => delivered.push(payload.toString()));
  await reader.subscribeAsync('lab-data/#', { qos: 2 });
  const sender = await rawClient(port, 'sender', true);
  t.teardown(() => sender.socket.destroy());
  const publish = { cmd: 'publish', topic: 'lab-data/x', payload: Buffer.from('once'), qos: 2, messageId: 7, retain: false } as const;
  sender.send({ ...publish, dup: false });
  await sender.until((got) => got.some((p) => p.cmd === 'pubrec'), 'the PUBREC');
  sender.send({ ...publish, dup: true });
  await sender.until((got) => got.filter((p) => p.cmd === 'pubrec').length === 2, 'the second PUBREC');
  sender.send({ cmd: 'pubrel', messageId: 7 });
  await sender.until((got) => got.some((p) => p.cmd === 'pubcomp'), 'the PUBCOMP');
  await sleep(300);
  t.same(delivered, ['once'], 'delivered once, with its payload');
});
