import t from 'tap';
import { createServer, type Socket } from 'node:net';
import { MqttConnection } from '../../daemon/mqtt/connection.js';
import { buildClientOptions } from '../../daemon/mqtt/client-options.js';
import { silentLogger } from '../../daemon/log/logger.js';
import { mqttTestConfig } from './helpers/config.js';
import { diagnoseConnectError } from '../../daemon/mqtt/diagnose.js';

t.test('a broker that resets the connection after accepting it is not called unreachable', async (t) => {
  // Reads the CONNECT, then resets: what a broker does to a client that sent what it refuses.
  const server = createServer((socket: Socket) => {
    socket.once('data', () => socket.resetAndDestroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const url = `mqtt://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const config = mqttTestConfig({ url, connectTimeoutMs: 1000, reconnect: { minDelayMs: 5000, maxDelayMs: 5000 } });
  const connection = new MqttConnection({ url, clientOptions: buildClientOptions({ config, url, clientId: 'reset-test' }), reconnect: config.reconnect, logger: silentLogger });
  await connection.start();
  t.teardown(async () => {
    await connection.stop('force');
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const error = connection.state().lastError;
  t.equal(error?.layer, 'protocol', 'diagnosed above TCP');
  t.match(error?.message, /closed by the broker .* after it was open \(.*ECONNRESET/, 'says the broker closed it');
  t.notMatch(error?.message, /cannot reach/);
  t.match(error?.hint, /maximum packet size/, 'and names the likely causes');
});

t.test('a PUBACK reason code MQTT 5 does not allow is named as the broker answering wrongly, with the acknowledgements lost until a reconnect', async (t) => {
  const d = diagnoseConnectError(new Error('Invalid puback reason code'), 'mqtt://broker:1883');
  t.equal(d.layer, 'protocol');
  t.match(d.message, /the broker at mqtt:\/\/broker:1883 answered a publish with a PUBACK reason code MQTT 5 does not allow there; .*until the next reconnect/);
  t.match(d.hint, /mqtt\.protocolVersion 4/);
});
