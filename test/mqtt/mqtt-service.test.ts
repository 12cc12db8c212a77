import t from 'tap';
import mqtt from 'mqtt';
import { MqttService } from '../../daemon/mqtt/mqtt-service.js';
import { EmbeddedBroker } from '../../daemon/mqtt/embedded-broker.js';
import { silentLogger } from '../../daemon/log/logger.js';
import type { StatusPayload } from '../../daemon/mqtt/payloads/status.js';
import { mqttTestConfig } from './helpers/config.js';
import { TestSubscriber } from './helpers/subscriber.js';

t.test('with url null the service runs the embedded broker and publishes online/offline retained', async (t) => {
  const service = new MqttService({ config: mqttTestConfig({ embedded: { port: 0 } }), siteId: 'lab-1', version: '0.1.0', logger: silentLogger });
  await service.start();
  const url = service.embeddedBrokerAddress()?.url;
  t.ok(url, 'embedded broker address is reported');
  const state = service.state();
  t.equal(state.connection?.state, 'connected');
  t.equal(state.connection?.clientId, 'earshot-lab-1');

  // A subscriber arriving later still sees the retained online status.
  const sub = await TestSubscriber.connect(url!, 'earshot/lab-1/status');
  await sub.waitFor((m) => m.length >= 1, 5000, 'retained status');
  const online = sub.messages[0]!;
  t.equal(online.retain, true, 'status is retained');
  const body = online.json<StatusPayload>();
  t.match(body, { v: 1, state: 'online', siteId: 'lab-1', version: '0.1.0', clientId: 'earshot-lab-1' });
  t.ok(!Number.isNaN(Date.parse(body.ts)), 'ts is an ISO date');
  t.equal(service.state().embeddedBroker?.clients, 2, 'the service and the subscriber are connected');

  // Stopping publishes offline before the broker goes away; the subscriber sees it.
  const offlineSeen = sub.waitFor((m) => m.some((x) => x.json<StatusPayload>().state === 'offline'), 5000, 'offline status');
  sub.client.options.reconnectPeriod = 0;
  await service.stop();
  await offlineSeen;
  t.match(sub.messages.at(-1)!.json<StatusPayload>(), { v: 1, state: 'offline', reason: 'shutdown' });
  t.equal(service.embeddedBrokerAddress(), null, 'broker stopped');
  await sub.close();
});

t.test('when the daemon dies without DISCONNECT the broker publishes the retained offline will', async (t) => {
  const broker = new EmbeddedBroker({ host: '127.0.0.1', port: 0, logger: silentLogger });
  const { url } = await broker.start();
  const service = new MqttService({ config: mqttTestConfig({ url, protocolVersion: 4 }), siteId: 'lab-2', version: '0.1.0', logger: silentLogger });
  await service.start();
  t.equal(service.embeddedBrokerAddress(), null, 'no embedded broker with an external url');
  const sub = await TestSubscriber.connect(url, 'earshot/lab-2/status');
  await sub.waitFor((m) => m.length >= 1);
  t.equal(sub.messages[0]!.json<StatusPayload>().state, 'online');

  // Simulate a crash: destroy the socket without DISCONNECT.
  await service.requireConnection().stop('force');
  await sub.waitFor((m) => m.some((x) => x.json<StatusPayload>().state === 'offline'), 5000, 'will');
  t.match(sub.messages.at(-1)!.json<StatusPayload>(), { state: 'offline', reason: 'connection lost', siteId: 'lab-2' });

  // A late subscriber gets offline as the retained value.
  const late = await mqtt.connectAsync(url);
  const retained = new Promise<{ retain: boolean; body: StatusPayload }>((resolve) =>
    late.once('message', (_topic, p, packet) => resolve({ retain: packet.retain, body: JSON.parse(p.toString()) as StatusPayload })),
  );
  await late.subscribeAsync('earshot/lab-2/status');
  const r = await retained;
  t.equal(r.retain, true);
  t.equal(r.body.state, 'offline');
  await late.endAsync(true);
  await service.stop();
  await sub.close();
  await broker.stop();
});
