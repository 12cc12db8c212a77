import t from 'tap';
import { createServer } from 'node:net';
import mqtt from 'mqtt';
import { EmbeddedBroker } from '../../daemon/mqtt/broker/embedded-broker.js';
import { LogSink, silentLogger } from '../../daemon/log/logger.js';

t.test('port 0 picks a free port; two real clients exchange a message; stop frees the port', async (t) => {
  const broker = new EmbeddedBroker({ host: '127.0.0.1', port: 0, passwordFile: null, siteId: 'test', logger: silentLogger });
  const addr = await broker.start();
  t.ok(addr.port > 0, 'a real port was picked');
  t.equal(addr.url, `mqtt://127.0.0.1:${addr.port}`);

  const sub = await mqtt.connectAsync(addr.url);
  const pub = await mqtt.connectAsync(addr.url);
  t.equal(broker.connectedClients(), 2);
  await sub.subscribeAsync('a/b', { qos: 1 });
  const got = new Promise<string>((resolve) => sub.once('message', (_t, p) => resolve(p.toString())));
  await pub.publishAsync('a/b', 'hello', { qos: 1 });
  t.equal(await got, 'hello');

  // Clients still connected: stop must close their sockets, not wait for them.
  sub.options.reconnectPeriod = 0;
  pub.options.reconnectPeriod = 0;
  await broker.stop();
  t.equal(broker.address(), null);
  await sub.endAsync(true);
  await pub.endAsync(true);

  // The port is free again: a plain server can bind it.
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(addr.port, '127.0.0.1', resolve);
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

t.test('a taken port fails with the port named and a hint', async (t) => {
  const first = new EmbeddedBroker({ host: '127.0.0.1', port: 0, passwordFile: null, siteId: 'test', logger: silentLogger });
  const { port } = await first.start();
  const second = new EmbeddedBroker({ host: '127.0.0.1', port, passwordFile: null, siteId: 'test', logger: silentLogger });
  await t.rejects(second.start(), /127\.0\.0\.1:\d+.*mqtt\.embedded\.port/);
  await first.stop();
});

t.test('clients that come and go are not logged as refused; a packet over the limit still is', async (t) => {
  const lines: string[] = [];
  const sink = new LogSink({ level: 'info', format: 'text', write: (line) => lines.push(line) });
  const broker = new EmbeddedBroker({ host: '127.0.0.1', port: 0, passwordFile: null, siteId: 'test', maxPacketBytes: 1000, logger: sink.logger('broker') });
  const addr = await broker.start();
  t.teardown(() => broker.stop());
  // A monitoring script connecting every minute: a clean DISCONNECT, and a socket just closed.
  for (const force of [false, false, true]) {
    const client = await mqtt.connectAsync(addr.url, { protocolVersion: 4, reconnectPeriod: 0 });
    await client.endAsync(force);
  }
  await new Promise((r) => setTimeout(r, 300));
  t.same(lines.filter((l) => l.startsWith('WARN')), [], 'no warning for an ordinary disconnect');

  const big = await mqtt.connectAsync(addr.url, { protocolVersion: 4, reconnectPeriod: 0 });
  big.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => big.once('close', () => resolve()));
  big.publish('a/b', Buffer.alloc(5000));
  await closed;
  await big.endAsync(true);
  t.match(lines.filter((l) => l.startsWith('WARN')), [/closed an MQTT connection: a client announced a \d+-byte MQTT packet/]);
});
