import t, { type Test } from 'tap';
import mqtt from 'mqtt';
import { EmbeddedBroker, type EmbeddedBrokerOptions } from '../../../daemon/mqtt/broker/embedded-broker.js';
import { LogSink } from '../../../daemon/log/logger.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A real embedded broker with the given bounds, and the lines it logged. */
async function brokerWith(t: Test, options: Partial<EmbeddedBrokerOptions>) {
  const lines: string[] = [];
  const sink = new LogSink({ level: 'info', format: 'text', write: (line) => lines.push(line) });
  const broker = new EmbeddedBroker({ host: '127.0.0.1', port: 0, passwordFile: null, siteId: 'test', logger: sink.logger('broker'), ...options });
  const { url } = await broker.start();
  t.teardown(() => broker.stop());
  return { url, lines };
}

/** An archiver with a persistent session subscribes, then goes away. */
async function archiverLeaves(url: string): Promise<void> {
  const client = await mqtt.connectAsync(url, { clientId: 'archiver', clean: false, protocolVersion: 4, reconnectPeriod: 0 });
  await client.subscribeAsync('site/transcript/#', { qos: 1 });
  await client.endAsync();
}

async function publish(url: string, count: number): Promise<void> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0 });
  // Sent in order, acknowledged in any.
  await Promise.all(Array.from({ length: count }, (_, i) => client.publishAsync('site/transcript/a', `t${i}`, { qos: 1 })));
  await client.endAsync();
}

/** The archiver comes back: whether its session was still there, and what it is handed. */
async function archiverReturns(url: string, quietMs = 1000): Promise<{ sessionPresent: boolean; got: string[] }> {
  const got: string[] = [];
  const client = mqtt.connect(url, { clientId: 'archiver', clean: false, protocolVersion: 4, reconnectPeriod: 0 });
  client.on('message', (_topic, payload) => got.push(payload.toString()));
  const connack = await new Promise<{ sessionPresent: boolean }>((resolve) => client.once('connect', resolve));
  let seen = -1;
  while (seen !== got.length) {
    seen = got.length;
    await sleep(quietMs);
  }
  await client.endAsync();
  return { sessionPresent: connack.sessionPresent, got };
}

t.test('a persistent subscriber away keeps at most maxQueuedMessages, the oldest; it is said once', async (t) => {
  const { url, lines } = await brokerWith(t, { maxQueuedMessages: 50 });
  await archiverLeaves(url);
  await publish(url, 120);
  const back = await archiverReturns(url);
  t.equal(back.sessionPresent, true, 'the session was kept');
  t.same(back.got, Array.from({ length: 50 }, (_, i) => `t${i}`), 'the first 50, in order; the rest were not kept');
  const full = lines.filter((l) => l.includes('is away with 50 messages kept for it'));
  t.equal(full.length, 1, 'said once for the absence');
  t.match(full[0], /^WARN .*mqtt\.embedded\.maxQueuedMessages/);

  // Back and gone again: it has room once more, and is told of again when full.
  await publish(url, 60);
  t.equal((await archiverReturns(url)).got.length, 50);
  t.equal(lines.filter((l) => l.includes('is away with 50 messages')).length, 2);
});

t.test('a connected persistent subscriber is not held to the bound', async (t) => {
  const { url } = await brokerWith(t, { maxQueuedMessages: 5 });
  const got: string[] = [];
  const client = await mqtt.connectAsync(url, { clientId: 'dashboard', clean: false, protocolVersion: 4, reconnectPeriod: 0 });
  client.on('message', (_topic, payload) => got.push(payload.toString()));
  await client.subscribeAsync('site/transcript/#', { qos: 1 });
  await publish(url, 40);
  const until = Date.now() + 10_000;
  while (got.length < 40 && Date.now() < until) await sleep(20);
  await client.endAsync();
  t.equal(got.length, 40, 'all delivered');
});

t.test('a persistent session whose client stays away past sessionExpiryHours is ended', async (t) => {
  // 0.0002 h = 720 ms; the broker looks every quarter of it.
  const { url, lines } = await brokerWith(t, { sessionExpiryHours: 0.0002 });
  await archiverLeaves(url);
  await publish(url, 10);
  const until = Date.now() + 10_000;
  while (!lines.some((l) => l.includes('ended the MQTT session of client archiver')) && Date.now() < until) await sleep(50);
  t.match(lines.find((l) => l.includes('ended the MQTT session')), /^INFO .*its subscriptions and 10 messages kept for it are dropped/);
  // Published after the end: the session no longer subscribes to anything.
  await publish(url, 3);
  const back = await archiverReturns(url, 500);
  t.equal(back.sessionPresent, false, 'a new session');
  t.same(back.got, [], 'nothing kept for it');
});

t.test('a client back before the expiry keeps its session', async (t) => {
  // A 3.6 s expiry, of which this test uses about 1 s each time the client is away: with
  // 1.8 s, a stall of this process (broker and clients) of 1.5 s on a loaded box ended the
  // session before the client was back.
  const { url, lines } = await brokerWith(t, { sessionExpiryHours: 0.001 });
  await archiverLeaves(url);
  await publish(url, 3);
  await sleep(300);
  const back = await archiverReturns(url, 300);
  t.equal(back.sessionPresent, true);
  t.same(back.got, ['t0', 't1', 't2']);
  // It left again just now: its absence counts from then.
  await sleep(1000);
  t.notOk(lines.some((l) => l.includes('ended the MQTT session')), 'not ended 1 s into a 3.6 s expiry');
});
