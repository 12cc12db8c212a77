import t, { type Test } from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MqttService } from '../../daemon/mqtt/mqtt-service.js';
import { OutboxStore } from '../../daemon/mqtt/outbox/outbox-store.js';
import { OutboxDrainer } from '../../daemon/mqtt/outbox/outbox-drainer.js';
import { LogSink, silentLogger } from '../../daemon/log/logger.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { tempDir } from '../helpers/paths.js';
import { mqttTestConfig } from './helpers/config.js';
import { testConnection } from './helpers/connection.js';
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

/** A real outbox and drainer on their own connection to the broker, as MqttService wires them. */
async function drainerOn(t: Test, url: string, clientId: string, bounds: { maxBytes: number; maxAgeMs: number }, retryRefusedMs: number) {
  const connection = testConnection(url, clientId);
  const store = new OutboxStore({ dir: tempDir(), ...bounds, logger: silentLogger });
  await store.open();
  const drainer = new OutboxDrainer({ store, connection, window: 8, retryRefusedMs, logger: silentLogger });
  await connection.start();
  drainer.start();
  t.teardown(async () => {
    drainer.stop();
    await connection.stop();
    await store.close();
  });
  return { store, drainer };
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
  const { store, drainer } = await drainerOn(t, broker.url, 'acl-timer', { maxBytes: 1 << 20, maxAgeMs: 0 }, 300);

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

t.test('refusals are kept only for what the outbox still holds: entries dropped by its bounds take theirs along, without a status call', async (t) => {
  const siteId = 'lab-acl-bounded';
  const { broker } = await aclBroker(siteId);
  t.teardown(() => broker.stop());
  const payloads = Array.from({ length: 20 }, (_, i) => JSON.stringify(sampleTranscript(i, siteId)));
  // Room for about three: each new one pushes the oldest out (max-bytes), refused or in flight.
  // No retry while the test counts: each entry is sent once and refused once.
  const bounds = { maxBytes: Math.floor(3.5 * Buffer.byteLength(payloads[0]!)), maxAgeMs: 3600_000 };
  const { store, drainer } = await drainerOn(t, broker.url, 'acl-bounded', bounds, 600_000);

  for (const [i, payload] of payloads.entries()) {
    await store.append({ id: sampleTranscript(i, siteId).id, topic: `earshot/${siteId}/transcript/mic-1`, payload, qos: 1, retain: false });
    drainer.pump();
  }
  const deadline = Date.now() + 10_000;
  while (drainer.inFlightCount > 0 && Date.now() < deadline) await sleep(20);
  t.equal(drainer.inFlightCount, 0, 'the broker answered every publish');
  t.ok(store.depth < payloads.length, `the bound dropped the older ones (${store.depth} left)`);
  t.equal(drainer.refusedCount, store.depth, 'one refusal per transcript still in the outbox, none for the dropped ones');

  // Aged out: every entry leaves, and its refusal with it.
  const left = store.depth;
  t.equal(store.expire(Date.now() + 2 * 3600_000), left, 'all of them are past the age bound');
  t.equal(store.depth, 0);
  t.equal(drainer.refusedCount, 0, 'no refusal left for entries that aged out');
});
