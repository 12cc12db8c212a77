import t, { type Test } from 'tap';
import { MqttConnection } from '../../daemon/mqtt/connection.js';
import { buildClientOptions } from '../../daemon/mqtt/client-options.js';
import { LogSink } from '../../daemon/log/logger.js';
import { mqttTestConfig } from './helpers/config.js';
import { rawBroker } from './helpers/raw-broker.js';

const ANNOUNCED = 4096;
const MIN_DELAY_MS = 100;
const MAX_DELAY_MS = 800;
const WATCH_MS = 3000;

/**
 * A broker that ignores the Maximum Packet Size the client announced: it accepts each
 * connection, then sends one PUBLISH bigger than that (as a broker would that redelivers such
 * a message from the session at every connect). MQTT.js drops the connection each time; the
 * reconnects must back off as for a broker that refuses us, not come at the floor for ever.
 */
async function hostileBroker(t: Test): Promise<{ url: string; connects: number[] }> {
  const connects: number[] = [];
  const { url } = await rawBroker(t, (packet, send) => {
    if (packet.cmd !== 'connect') return;
    connects.push(Date.now());
    send({ cmd: 'connack', sessionPresent: false, reasonCode: 0 });
    send({ cmd: 'publish', topic: 'earshot/x/cmd/status', payload: Buffer.alloc(ANNOUNCED * 2, 1), qos: 0, retain: false, dup: false });
  });
  return { url, connects };
}

t.test('a broker that sends packets over the announced Maximum Packet Size is reconnected to with a growing delay', async (t) => {
  const { url, connects } = await hostileBroker(t);
  const lines: string[] = [];
  const logger = new LogSink({ level: 'debug', format: 'text', write: (l) => lines.push(l), syslogPrefix: false }).logger('mqtt');
  const config = mqttTestConfig({ url, protocolVersion: 5, reconnect: { minDelayMs: MIN_DELAY_MS, maxDelayMs: MAX_DELAY_MS } });
  const clientOptions = buildClientOptions({ config, url, clientId: 'victim', properties: { maximumPacketSize: ANNOUNCED } });
  const connection = new MqttConnection({ url, clientOptions, reconnect: config.reconnect, logger });
  const received: string[] = [];
  connection.onMessage((topic) => received.push(topic));
  await connection.start();
  t.teardown(() => connection.stop('force'));
  await new Promise((r) => setTimeout(r, WATCH_MS));

  const gaps = connects.slice(1).map((at, i) => at - connects[i]!);
  t.comment(`${connects.length} connections in ${WATCH_MS} ms; gaps ${gaps.join(', ')} ms`);
  t.same(received, [], 'the oversize message never reached a handler');
  // At the floor it would be about WATCH_MS / MIN_DELAY_MS (30); backing off, 100 + 200 + 400 + 800 + 800 … ms.
  t.ok(connects.length <= 8, `${connects.length} connections: the delay grew`);
  t.ok(gaps.slice(-2).every((g) => g >= MAX_DELAY_MS * 0.9), `the last gaps are at the ceiling (${gaps.slice(-2).join(', ')} ms)`);
  const error = connection.state().lastError;
  t.match(error?.message, /sent a \d+-byte packet, over the Maximum Packet Size of 4096 bytes this daemon announced/, 'the last error says what the broker did');
  t.match(error?.hint, /broker/, 'and the hint points at the broker');
  t.ok(lines.filter((l) => l.startsWith('WARN') && /Maximum Packet Size/.test(l)).length <= connects.length, 'one warning per connection at most');
});
