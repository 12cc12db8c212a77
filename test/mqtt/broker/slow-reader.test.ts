import t, { type Test } from 'tap';
import mqtt from 'mqtt';
import { EmbeddedBroker } from '../../../daemon/mqtt/broker/embedded-broker.js';
import { LogSink } from '../../../daemon/log/logger.js';
import { rawClient } from '../helpers/raw-client.js';
import { bufferBytesHeld } from '../helpers/buffer-bytes.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An embedded broker as the daemon runs it, with 1 MB packets; its log lines kept. */
async function startBroker(t: Test): Promise<{ lines: string[]; port: number; url: string }> {
  const lines: string[] = [];
  const sink = new LogSink({ level: 'info', format: 'text', write: (line) => lines.push(line) });
  const broker = new EmbeddedBroker({ host: '127.0.0.1', port: 0, passwordFile: null, siteId: 'lab', maxPacketBytes: 1024 * 1024, logger: sink.logger('broker') });
  const { port, url } = await broker.start();
  t.teardown(() => broker.stop());
  return { lines, port, url };
}

async function connected(t: Test, url: string): Promise<mqtt.MqttClient> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0 });
  t.teardown(() => client.endAsync(true));
  return client;
}

/** A subscriber to feed/# that reads everything: how many messages it has, and a wait for a count (20 s at most). */
async function readerOfAll(t: Test, url: string): Promise<{ received(): number; until(count: number): Promise<void> }> {
  const client = await connected(t, url);
  let received = 0;
  client.on('message', () => received++);
  await client.subscribeAsync('feed/#', { qos: 1 });
  return {
    received: () => received,
    until: async (count) => {
      const deadline = Date.now() + 20_000;
      while (received < count && Date.now() < deadline) await sleep(20);
    },
  };
}

t.test('a subscriber that stops reading is disconnected once it leaves 8 MB unread; the others get everything', async (t) => {
  const { lines, port, url } = await startBroker(t);

  const stalled = await rawClient(port, 'stalled', true);
  t.teardown(() => stalled.socket.destroy());
  t.equal(await stalled.granted(['feed/#']), 1);
  stalled.socket.pause();
  const reader = await readerOfAll(t, url);
  const before = await bufferBytesHeld();
  const publisher = await connected(t, url);
  const count = 60;
  for (let i = 0; i < count; i++) await publisher.publishAsync('feed/audio', Buffer.alloc(900 * 1024, 0x61), { qos: 1 });
  await reader.until(count);
  const held = (await bufferBytesHeld()) - before;

  t.equal(reader.received(), count, 'the subscriber that reads got every message');
  t.ok(lines.some((l) => /^WARN .*closed an MQTT connection: the client left \d+ MB unread \(at most 8 MB\).*clientId=stalled/.test(l)), 'the stalled one was disconnected, with a warning naming it');
  t.ok(held < 12 * 1024 * 1024, `the broker holds ${(held / 1024 / 1024).toFixed(0)} MB more, after ${(count * 0.9).toFixed(0)} MB were published`);
});

t.test('many subscribers that stop reading, each under its own 8 MB, are held to 64 MB together: the one holding most is disconnected', async (t) => {
  const { lines, port, url } = await startBroker(t);

  // As a host on the LAN opening a connection after another: each one subscribed to a topic of
  // its own, none reading. (Subscribers of one topic share its messages' bytes: the memory a
  // client holds is its own only where the messages it has not read are its alone.)
  const stalledCount = 16;
  for (let i = 0; i < stalledCount; i++) {
    const stalled = await rawClient(port, `stalled-${i}`, true);
    t.teardown(() => stalled.socket.destroy());
    t.equal(await stalled.granted([`feed/${i}/#`]), 1);
    stalled.socket.pause();
  }
  const reader = await readerOfAll(t, url);
  const before = await bufferBytesHeld();
  const publisher = await connected(t, url);
  // 900 KB to each in turn, round after round, until a stalled client is disconnected (what
  // the kernel's buffers take before the broker holds any varies by box), then three more.
  // All grow alike, so together they pass 64 MB while each holds about 4 MB, half its own limit.
  const closings = () => lines.filter((l) => /^WARN .*closed an MQTT connection/.test(l));
  let rounds = 0;
  for (let more = 3; more > 0 && rounds < 40; rounds++) {
    for (let i = 0; i < stalledCount; i++) await publisher.publishAsync(`feed/${i}/audio`, Buffer.alloc(900 * 1024, 0x61 + rounds), { qos: 1 });
    if (closings().length > 0) more--;
  }
  const count = rounds * stalledCount;
  await reader.until(count);
  const held = (await bufferBytesHeld()) - before;

  t.equal(reader.received(), count, 'the subscriber that reads got every message');
  t.match(
    closings()[0],
    /clients together left \d+ MB unread \(at most 64 MB\), this one the most, [1-7] MB.*clientId=stalled-\d+/,
    'the first stalled client was disconnected for the total, with a warning naming it, while under its own 8 MB',
  );
  t.ok(held < 72 * 1024 * 1024, `the broker holds ${(held / 1024 / 1024).toFixed(0)} MB more, after ${(count * 0.9 * 2).toFixed(0)} MB were sent`);
});
