import t, { type Test } from 'tap';
import { GRACEFUL_STOP_MS, MqttConnection } from '../../daemon/mqtt/connection.js';
import { EmbeddedBroker } from '../../daemon/mqtt/broker/embedded-broker.js';
import { buildClientOptions } from '../../daemon/mqtt/client-options.js';
import { LogSink, silentLogger } from '../../daemon/log/logger.js';
import { freePort, Mosquitto } from '../helpers/mosquitto.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { TestSubscriber } from './helpers/subscriber.js';
import { topicNameProblem } from '../../daemon/mqtt/topics.js';
import { mqttTestConfig } from './helpers/config.js';

t.test('reconnect delay doubles while the broker is away, capped, and resets on connect', async (t) => {
  const port = await freePort();
  const url = `mqtt://127.0.0.1:${port}`;
  const config = mqttTestConfig({ url, protocolVersion: 4, reconnect: { minDelayMs: 50, maxDelayMs: 400 } });
  const connection = new MqttConnection({ url, clientOptions: buildClientOptions({ config, url, clientId: 'backoff-test' }), reconnect: config.reconnect, logger: silentLogger });
  await connection.start();
  t.teardown(() => connection.stop());
  t.equal(connection.state().lastError?.layer, 'tcp', 'first failure diagnosed as TCP');
  const delays: number[] = [connection.state().retryDelayMs];
  const deadline = Date.now() + 5000;
  while (delays.at(-1)! < 400 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    const d = connection.state().retryDelayMs;
    if (d !== delays.at(-1)) delays.push(d);
  }
  t.same(delays, [50, 100, 200, 400], 'each failed attempt doubles the delay up to maxDelayMs');

  const broker = new EmbeddedBroker({ host: '127.0.0.1', port, passwordFile: null, siteId: 'test', logger: silentLogger });
  await broker.start();
  t.teardown(() => broker.stop());
  await connection.waitConnected(3000);
  t.equal(connection.state().retryDelayMs, 50, 'back to the floor once connected');
  t.equal(connection.state().lastError, null);
  t.equal(connection.state().connects, 1);
});

t.test('a message handler that throws costs that message only: other handlers still get it, and the next one arrives', async (t) => {
  const broker = new EmbeddedBroker({ host: '127.0.0.1', port: 0, passwordFile: null, siteId: 'test', logger: silentLogger });
  await broker.start();
  t.teardown(() => broker.stop());
  const { url } = broker.address()!;
  const lines: string[] = [];
  const logger = new LogSink({ level: 'warn', format: 'text', write: (line) => void lines.push(line) }).logger('test');
  const config = mqttTestConfig({ url, protocolVersion: 4 });
  const connection = new MqttConnection({ url, clientOptions: buildClientOptions({ config, url, clientId: 'throwing-handler' }), reconnect: config.reconnect, logger });
  await connection.start();
  t.teardown(() => connection.stop());
  const seen: string[] = [];
  connection.onMessage((_topic, payload) => {
    if (payload.toString() === 'null') throw new TypeError("Cannot read properties of null (reading 'jobId')");
  });
  connection.onMessage((_topic, payload) => void seen.push(payload.toString()));
  await connection.subscribe({ 'hostile/#': { qos: 1 } });
  await connection.publish('hostile/a', 'null', { qos: 1 });
  await connection.publish('hostile/a', 'fine', { qos: 1 });
  const until = Date.now() + 3000;
  while (seen.length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  t.same(seen, ['null', 'fine'], 'the other handler got both messages');
  t.match(lines.join('\n'), /could not be handled.*hostile\/a/s, 'the failure is logged with its topic');
});

t.test('a topic the broker would take as a protocol error is refused here, and the connection stays up', async (t) => {
  const broker = await new Mosquitto().start();
  t.teardown(() => broker.stop());
  const url = broker.url;
  const config = mqttTestConfig({ url });
  const connection = new MqttConnection({ url, clientOptions: buildClientOptions({ config, url, clientId: 'topic-check' }), reconnect: config.reconnect, logger: silentLogger });
  await connection.start();
  t.teardown(() => connection.stop());
  await connection.waitConnected(3000);
  // Mosquitto drops a client that publishes any of these; mqtt.js would then send the same
  // publish again at each reconnect, and the connection would never stay up.
  for (const topic of ['earshot/jobs/g/grant/box\u0000/j', 'earshot/x\u0001', 'earshot/x\u007f', 'earshot/x\u0085', 'earshot/x\ufffe', 'earshot/+/status', '']) {
    await t.rejects(connection.publish(topic, 'x', { qos: 1 }), /not published to .*: /, JSON.stringify(topic));
  }
  await t.resolves(connection.publish('earshot/fine/topic', 'x', { qos: 1 }), 'a good topic still goes out');
  t.equal(connection.connected, true, 'and the connection was never dropped');
  t.same(['earshot/a', 'earshot/ä/ü', 'x'.repeat(1000)].map(topicNameProblem), [undefined, undefined, undefined]);
});

t.test('a password in the broker URL shows neither in the state nor in the log nor in errors', async (t) => {
  const port = await freePort();
  const url = `mqtt://alice:s3cret@127.0.0.1:${port}`;
  const config = mqttTestConfig({ url, protocolVersion: 4, reconnect: { minDelayMs: 50, maxDelayMs: 100 } });
  const lines: string[] = [];
  const logger = new LogSink({ level: 'debug', format: 'text', write: (l) => void lines.push(l) }).logger('mqtt');
  const connection = new MqttConnection({ url, clientOptions: buildClientOptions({ config, url, clientId: 'userinfo-test' }), reconnect: config.reconnect, logger });
  await connection.start();
  t.teardown(() => connection.stop());
  const waited = await connection.waitConnected(200).then(() => 'connected', (err: Error) => err.message);
  const shown = [JSON.stringify(connection.state()), waited, ...lines].join('\n');
  t.equal(connection.state().url, `mqtt://***@127.0.0.1:${port}`, 'the state names the broker without its credentials');
  t.match(shown, /TCP: cannot reach the broker at mqtt:\/\/\*\*\*@127\.0\.0\.1/, 'the diagnosis still names where');
  t.notMatch(shown, /s3cret|alice/, 'the user name and password appear nowhere');
});

/** An aedes broker, a relay in front of it, and a connection through the relay with a retained will. */
async function brokerBehindRelay(t: Test, clientId: string) {
  const broker = new EmbeddedBroker({ host: '127.0.0.1', port: 0, passwordFile: null, siteId: 'test', logger: silentLogger });
  const { port, url: brokerUrl } = await broker.start();
  t.teardown(() => broker.stop());
  const relay = await new TcpProxy(port).start();
  t.teardown(() => relay.stop());
  const lines: string[] = [];
  const logger = new LogSink({ level: 'warn', format: 'text', write: (line) => void lines.push(line) }).logger('mqtt');
  const url = relay.url;
  const config = mqttTestConfig({ url, protocolVersion: 4 });
  const will = { topic: `lab/${clientId}/status`, payload: 'offline', qos: 1 as const, retain: true };
  const connection = new MqttConnection({ url, clientOptions: buildClientOptions({ config, url, clientId, will }), reconnect: config.reconnect, logger });
  await connection.start();
  t.teardown(() => connection.stop('force'));
  await connection.waitConnected(3000);
  return { brokerUrl, relay, connection, lines, will };
}

/** How long `stop()` took, or null when it had not returned after `limitMs`. */
async function timedStop(connection: MqttConnection, limitMs: number): Promise<number | null> {
  const t0 = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), limitMs)));
  const took = await Promise.race([connection.stop('graceful').then(() => Date.now() - t0), late]);
  clearTimeout(timer);
  return took;
}

t.test('a graceful stop with a QoS 1 message unacknowledged and the broker gone returns at once', async (t) => {
  const { relay, connection } = await brokerBehindRelay(t, 'stop-broker-gone');
  relay.stall();
  const publish = connection.publish('lab/transcript/mic-1', 'hello', { qos: 1 }).then(() => 'acknowledged', () => 'failed');
  // The broker goes away (outage, restart) before it acknowledged the message.
  await relay.stop();
  const until = Date.now() + 3000;
  while (connection.connected && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  t.equal(connection.connected, false, 'the connection is down');
  const took = await timedStop(connection, GRACEFUL_STOP_MS + 2000);
  t.not(took, null, 'stop() returned');
  // At once: well below the graceful bound (3 s) it must not wait out, with room for a loaded box.
  t.ok(took !== null && took < GRACEFUL_STOP_MS - 1000, `and at once, nothing can be flushed without a broker (${took} ms)`);
  t.equal(await Promise.race([publish, new Promise((r) => setTimeout(() => r('never settled'), 50))]), 'never settled', 'the message was not confirmed delivered (its sender keeps it)');
});

t.test('a graceful stop on a broker that acknowledges nothing gives up after the bound, says so, and leaves the will to the broker', async (t) => {
  const { brokerUrl, relay, connection, lines, will } = await brokerBehindRelay(t, 'stop-broker-silent');
  await connection.publish(will.topic, 'online', { qos: 1, retain: true });
  // Connected in the client's eyes, but nothing comes back (a hung broker, a half-open path).
  relay.stall();
  void connection.publish('lab/transcript/mic-1', 'hello', { qos: 1 }).catch(() => undefined);
  const took = await timedStop(connection, GRACEFUL_STOP_MS + 5000);
  t.not(took, null, 'stop() returned');
  t.ok(took !== null && took >= GRACEFUL_STOP_MS - 50 && took < GRACEFUL_STOP_MS + 2000, `after about ${GRACEFUL_STOP_MS} ms (${took} ms)`);
  t.match(lines.join('\n'), new RegExp(`WARN.*graceful stop cut short after ${GRACEFUL_STOP_MS} ms.*1 message`), 'a warning says what was cut short');
  // No DISCONNECT went out, so the broker published the will: the retained status is not left at online.
  const sub = await TestSubscriber.connect(brokerUrl, will.topic);
  t.teardown(() => sub.close());
  await sub.waitFor((m) => m.some((x) => x.retain && x.payload.toString() === 'offline'), 5000, 'the retained will');
  t.equal(sub.messages.at(-1)!.payload.toString(), 'offline', 'the retained status is the will');
});

t.test('a graceful stop waiting for acknowledgements ends when the connection drops meanwhile', async (t) => {
  const { relay, connection, lines } = await brokerBehindRelay(t, 'stop-broker-drops');
  relay.stall();
  void connection.publish('lab/transcript/mic-1', 'hello', { qos: 1 }).catch(() => undefined);
  const stopping = timedStop(connection, GRACEFUL_STOP_MS + 2000);
  await new Promise((r) => setTimeout(r, 200));
  relay.cut();
  const took = await stopping;
  t.ok(took !== null && took < GRACEFUL_STOP_MS - 500, `stop() returned when the connection dropped, not at the bound (${took} ms)`);
  t.match(lines.join('\n'), /WARN.*MQTT connection dropped during the graceful stop with 1 message not acknowledged/, 'and says so');
});

t.test('a graceful stop on a broker that acknowledges sends DISCONNECT: the broker drops the will, nothing is logged', async (t) => {
  const { brokerUrl, connection, lines, will } = await brokerBehindRelay(t, 'stop-broker-fine');
  await connection.publish(will.topic, 'online', { qos: 1, retain: true });
  const sub = await TestSubscriber.connect(brokerUrl, will.topic);
  t.teardown(() => sub.close());
  await sub.waitFor((m) => m.length >= 1, 3000, 'the retained status');
  const delivered = connection.publish('lab/transcript/mic-1', 'hello', { qos: 1 });
  const took = await timedStop(connection, GRACEFUL_STOP_MS + 2000);
  // At once: well below the graceful bound (3 s) that a stop without DISCONNECT would wait out.
  t.ok(took !== null && took < GRACEFUL_STOP_MS - 1000, `stop() returned at once (${took} ms)`);
  await t.resolves(delivered, 'the message in flight was acknowledged before the DISCONNECT');
  await new Promise((r) => setTimeout(r, 300));
  t.same(sub.messages.map((m) => m.payload.toString()), ['online'], 'no will was published');
  t.same(lines, [], 'nothing to warn about');
});
