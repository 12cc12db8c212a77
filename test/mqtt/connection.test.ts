import t from 'tap';
import { MqttConnection } from '../../daemon/mqtt/connection.js';
import { EmbeddedBroker } from '../../daemon/mqtt/embedded-broker.js';
import { buildClientOptions } from '../../daemon/mqtt/client-options.js';
import { silentLogger } from '../../daemon/log/logger.js';
import { freePort } from '../helpers/mosquitto.js';
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

  const broker = new EmbeddedBroker({ host: '127.0.0.1', port, logger: silentLogger });
  await broker.start();
  t.teardown(() => broker.stop());
  await connection.waitConnected(3000);
  t.equal(connection.state().retryDelayMs, 50, 'back to the floor once connected');
  t.equal(connection.state().lastError, null);
  t.equal(connection.state().connects, 1);
});
