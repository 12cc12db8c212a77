import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MqttService } from '../../daemon/mqtt/mqtt-service.js';
import { MqttConnection } from '../../daemon/mqtt/connection.js';
import { buildClientOptions } from '../../daemon/mqtt/client-options.js';
import { OutboxStore } from '../../daemon/mqtt/outbox/outbox-store.js';
import { OutboxDrainer } from '../../daemon/mqtt/outbox/outbox-drainer.js';
import { LogSink, silentLogger } from '../../daemon/log/logger.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { tempDir } from '../helpers/paths.js';
import { mqttTestConfig } from './helpers/config.js';
import { sampleTranscript } from './helpers/transcripts.js';
import { archiver, idsOf } from './helpers/delivery.js';

/**
 * Mosquitto with an ACL that lets anonymous clients read everything but write only the
 * status and telemetry of `siteId`: its transcripts are refused (MQTT 5: PUBACK 0x87).
 * `allowTranscripts()` opens them and reloads the broker, as an operator fixing it would.
 */
async function aclBroker(siteId: string) {
  const dir = tempDir('earshot-acl-');
  const aclFile = join(dir, 'acl');
  const write = (rules: string[]) => writeFileSync(aclFile, ['topic read #', ...rules].join('\n') + '\n');
  write([`topic write earshot/${siteId}/status`, `topic write earshot/${siteId}/telemetry`]);
  const broker = await new Mosquitto({ extraConfig: [`acl_file ${aclFile}`] }).start();
  return {
    broker,
    allowTranscripts: () => {
      write([`topic write earshot/${siteId}/#`]);
      broker.reload();
    },
  };
}

function captureLogger() {
  const lines: string[] = [];
  const logger = new LogSink({ level: 'info', format: 'text', write: (l) => lines.push(l), syslogPrefix: false }).logger('mqtt');
  return { lines, logger };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('transcripts refused by the broker ACL: warned with topic and reason, shown in the state, delivered once allowed', async (t) => {
  const siteId = 'lab-acl';
  const { broker, allowTranscripts } = await aclBroker(siteId);
  t.teardown(() => broker.stop());
  const sub = await archiver(broker.url, 'archiver-acl');
  t.teardown(() => sub.close());
  const { lines, logger } = captureLogger();
  const service = new MqttService({ config: mqttTestConfig({ url: broker.url, telemetryIntervalSec: 0 }), siteId, version: '0.0.0-test', logger, dataDir: tempDir() });
  await service.start();
  t.teardown(() => service.stop());

  const first = sampleTranscript(0, siteId);
  await service.publishTranscript(first);
  const topic = `earshot/${siteId}/transcript/mic-1`;
  const deadline = Date.now() + 5000;
  while (!service.state().publishRefused && Date.now() < deadline) await sleep(20);
  t.match(service.state().publishRefused, { topic, reason: 'Not authorized', code: 135, waiting: 1 }, 'the state says what is refused, where and why');
  t.equal(service.state().connection?.state, 'connected', 'while the connection itself is up');
  t.equal(service.state().outbox?.depth, 1, 'the transcript stays in the outbox');
  const warning = lines.find((l) => l.startsWith('WARN') && l.includes(first.id));
  t.ok(warning, 'a WARN names the transcript');
  t.match(warning, new RegExp(`refused transcript .* on ${topic}: Not authorized`), 'with the topic and the broker reason');

  // A second one is refused too: counted in the state, without a second warning for the first.
  await service.publishTranscript(sampleTranscript(1, siteId));
  while (service.state().publishRefused?.waiting !== 2 && Date.now() < deadline) await sleep(20);
  t.equal(lines.filter((l) => l.startsWith('WARN') && l.includes(first.id)).length, 1, 'one warning per refused transcript');

  allowTranscripts();
  await sleep(300);
  await service.publishTranscript(sampleTranscript(2, siteId));
  const all = [0, 1, 2].map((i) => sampleTranscript(i, siteId).id);
  await sub.waitFor(() => all.every((id) => idsOf(sub).includes(id)), 10_000, 'all three once the ACL allows them');
  await sub.waitFor(() => service.state().outbox?.depth === 0, 5000, 'the outbox to empty');
  t.equal(service.state().publishRefused, null, 'the refusal clears once the broker takes them');
});

t.test('refused transcripts are sent again on a timer, with nothing new to publish', async (t) => {
  const siteId = 'lab-acl-timer';
  const { broker, allowTranscripts } = await aclBroker(siteId);
  t.teardown(() => broker.stop());
  const sub = await archiver(broker.url, 'archiver-acl-timer');
  t.teardown(() => sub.close());
  const config = mqttTestConfig({ url: broker.url });
  const connection = new MqttConnection({ url: broker.url, clientOptions: buildClientOptions({ config, url: broker.url, clientId: 'acl-timer' }), reconnect: config.reconnect, logger: silentLogger });
  const store = new OutboxStore({ dir: tempDir(), maxBytes: 1 << 20, maxAgeMs: 0, logger: silentLogger });
  await store.open();
  const drainer = new OutboxDrainer({ store, connection, window: 8, retryRefusedMs: 300, logger: silentLogger });
  await connection.start();
  drainer.start();
  t.teardown(async () => {
    drainer.stop();
    await connection.stop();
    await store.close();
  });

  const transcript = sampleTranscript(0, siteId);
  await store.append({ id: transcript.id, topic: `earshot/${siteId}/transcript/mic-1`, payload: JSON.stringify(transcript), qos: 1, retain: false });
  drainer.pump();
  const deadline = Date.now() + 5000;
  while (!drainer.refusal() && Date.now() < deadline) await sleep(20);
  t.ok(drainer.refusal(), 'refused');
  allowTranscripts();
  await sub.waitFor(() => idsOf(sub).includes(transcript.id), 5000, 'the refused transcript, sent again by the timer');
  await sub.waitFor(() => store.depth === 0, 5000, 'the outbox to empty');
  t.equal(drainer.refusal(), null, 'no refusal left');
});
