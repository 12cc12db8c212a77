import t from 'tap';
import { MqttConnection } from '../../daemon/mqtt/connection.js';
import { EmbeddedBroker } from '../../daemon/mqtt/broker/embedded-broker.js';
import { buildClientOptions } from '../../daemon/mqtt/client-options.js';
import { LogSink, silentLogger } from '../../daemon/log/logger.js';
import { freePort, Mosquitto } from '../helpers/mosquitto.js';
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
  const port = await freePort();
  const url = `mqtt://127.0.0.1:${port}`;
  const broker = new EmbeddedBroker({ host: '127.0.0.1', port, passwordFile: null, siteId: 'test', logger: silentLogger });
  await broker.start();
  t.teardown(() => broker.stop());
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
