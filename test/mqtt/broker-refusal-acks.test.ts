import t from 'tap';
import { MqttConnection } from '../../daemon/mqtt/connection.js';
import { buildClientOptions } from '../../daemon/mqtt/client-options.js';
import { PublishRefusedError } from '../../daemon/mqtt/publish-refused.js';
import { LogSink } from '../../daemon/log/logger.js';
import { mqttTestConfig } from './helpers/config.js';
import { rawBroker } from './helpers/raw-broker.js';

/** 0x9F Connection rate exceeded: a reason code MQTT 5 defines, but not for a PUBACK. */
const UNLISTED_FAILURE = 0x9f;

t.test('a PUBACK with a failure code MQTT 5 does not list for it refuses that publish alone; the connection goes on', async (t) => {
  let connects = 0;
  // Refuses the topic ending in /refused with the unlisted code, acknowledges the rest.
  const { url } = await rawBroker(t, (packet, send) => {
    if (packet.cmd === 'connect') {
      connects++;
      return send({ cmd: 'connack', sessionPresent: false, reasonCode: 0 });
    }
    if (packet.cmd === 'pingreq') return send({ cmd: 'pingresp' });
    if (packet.cmd !== 'publish') return;
    const reasonCode = packet.topic.endsWith('/refused') ? UNLISTED_FAILURE : 0;
    send({ cmd: 'puback', messageId: packet.messageId, reasonCode });
  });
  const lines: string[] = [];
  const logger = new LogSink({ level: 'debug', format: 'text', write: (l) => lines.push(l), syslogPrefix: false }).logger('mqtt');
  const config = mqttTestConfig({ url, protocolVersion: 5 });
  const clientOptions = buildClientOptions({ config, url, clientId: 'publisher' });
  const connection = new MqttConnection({ url, clientOptions, reconnect: config.reconnect, logger });
  await connection.start();
  t.teardown(() => connection.stop('force'));

  const refused = connection.publish('earshot/x/transcript/refused', '{}', { qos: 1 });
  const after = connection.publish('earshot/x/transcript/after', '{}', { qos: 1 });
  const outcome = await Promise.race([
    Promise.allSettled([refused, after]),
    new Promise<'stalled'>((resolve) => setTimeout(() => resolve('stalled'), 3000)),
  ]);
  if (outcome === 'stalled') return t.fail('no answer to either publish within 3 s: the connection stopped reading');
  const [first, second] = outcome;
  t.equal(first.status, 'rejected', 'the refused publish fails');
  const err = first.status === 'rejected' ? first.reason : null;
  t.type(err, PublishRefusedError, 'as a refusal by the broker (kept in the outbox, tried again later)');
  t.match((err as PublishRefusedError).code, UNLISTED_FAILURE, 'with the broker’s code');
  t.match((err as Error).message, /reason code 159/, 'named in the message');
  t.equal(second.status, 'fulfilled', 'the publish after it is acknowledged on the same connection');
  t.equal(connects, 1, 'no reconnect');
  t.equal(connection.state().lastError, null, 'and no connection error');
});
