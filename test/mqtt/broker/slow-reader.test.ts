import t from 'tap';
import mqtt from 'mqtt';
import { EmbeddedBroker } from '../../../daemon/mqtt/broker/embedded-broker.js';
import { LogSink } from '../../../daemon/log/logger.js';
import { rawClient } from '../helpers/raw-client.js';
import { bufferBytesHeld } from '../helpers/buffer-bytes.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('a subscriber that stops reading is disconnected once it leaves 8 MB unread; the others get everything', async (t) => {
  const lines: string[] = [];
  const sink = new LogSink({ level: 'info', format: 'text', write: (line) => lines.push(line) });
  const broker = new EmbeddedBroker({ host: '127.0.0.1', port: 0, passwordFile: null, siteId: 'lab', maxPacketBytes: 1024 * 1024, logger: sink.logger('broker') });
  const { port, url } = await broker.start();
  t.teardown(() => broker.stop());

  const stalled = await rawClient(port, 'stalled', true);
  t.teardown(() => stalled.socket.destroy());
  t.equal(await stalled.granted(['feed/#']), 1);
  stalled.socket.pause();
  const reader = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0 });
  t.teardown(() => reader.endAsync(true));
  let received = 0;
  reader.on('message', () => received++);
  await reader.subscribeAsync('feed/#', { qos: 1 });

  const before = await bufferBytesHeld();
  const publisher = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0 });
  t.teardown(() => publisher.endAsync(true));
  const count = 60;
  for (let i = 0; i < count; i++) await publisher.publishAsync('feed/audio', Buffer.alloc(900 * 1024, 0x61), { qos: 1 });
  const deadline = Date.now() + 20_000;
  while (received < count && Date.now() < deadline) await sleep(20);
  const held = (await bufferBytesHeld()) - before;

  t.equal(received, count, 'the subscriber that reads got every message');
  t.ok(lines.some((l) => /^WARN .*closed an MQTT connection: the client left \d+ MB unread \(at most 8 MB\).*clientId=stalled/.test(l)), 'the stalled one was disconnected, with a warning naming it');
  t.ok(held < 12 * 1024 * 1024, `the broker holds ${(held / 1024 / 1024).toFixed(0)} MB more, after ${(count * 0.9).toFixed(0)} MB were published`);
});
