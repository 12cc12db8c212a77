import t, { type Test } from 'tap';
import mqtt from 'mqtt';
import { join } from 'node:path';
import { MqttService } from '../../daemon/mqtt/mqtt-service.js';
import { EmbeddedBroker } from '../../daemon/mqtt/broker/embedded-broker.js';
import { silentLogger } from '../../daemon/log/logger.js';
import { GRACEFUL_STOP_MS } from '../../daemon/mqtt/connection.js';
import { readOutboxStats } from '../../daemon/mqtt/outbox/outbox-stats.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import type { StatusPayload } from '../../daemon/mqtt/payloads/status.js';
import { mqttTestConfig } from './helpers/config.js';
import { TestSubscriber } from './helpers/subscriber.js';
import { tempDir } from '../helpers/paths.js';
import { payloadErrors } from '../../daemon/mqtt/payload-schemas.js';
import { sampleTranscript } from './helpers/transcripts.js';
import type { TranscriptPayload } from '../../daemon/mqtt/payloads/transcript.js';
import type { TelemetryPayload } from '../../daemon/mqtt/payloads/telemetry.js';

t.test('with url null the service runs the embedded broker and publishes online/offline retained', async (t) => {
  const service = new MqttService({ config: mqttTestConfig({ embedded: { port: 0 } }), siteId: 'lab-1', version: '0.1.0', logger: silentLogger, dataDir: tempDir() });
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
  const broker = new EmbeddedBroker({ host: '127.0.0.1', port: 0, passwordFile: null, siteId: 'test', logger: silentLogger });
  const { url } = await broker.start();
  const service = new MqttService({ config: mqttTestConfig({ url, protocolVersion: 4 }), siteId: 'lab-2', version: '0.1.0', logger: silentLogger, dataDir: tempDir() });
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

t.test('a subscriber receives a transcript that validates against schemas/transcript.schema.json', async (t) => {
  const service = new MqttService({ config: mqttTestConfig({ embedded: { port: 0 } }), siteId: 'lab-1', version: '0.1.0', logger: silentLogger, dataDir: tempDir() });
  await service.start();
  const url = service.embeddedBrokerAddress()!.url;
  const sub = await TestSubscriber.connect(url, ['earshot/lab-1/transcript/+', 'earshot/lab-1/telemetry', 'earshot/lab-1/partial/+']);
  const tr = sampleTranscript(7);
  const partial = { v: 1 as const, siteId: 'lab-1', sourceId: 'mic-1', segmentId: tr.id, text: 'turn on', stable: 'turn', startOffsetSec: 28, ts: new Date().toISOString() };
  service.publishPartial(partial);
  await sub.waitFor((m) => m.some((x) => x.topic === 'earshot/lab-1/partial/mic-1'), 5000, 'partial');
  t.same(payloadErrors('partial', sub.on('earshot/lab-1/partial/mic-1')[0]!.json()), [], 'partial validates');
  await service.publishTranscript(tr);
  await sub.waitFor((m) => m.some((x) => x.topic === 'earshot/lab-1/transcript/mic-1'), 5000, 'transcript');
  const got = sub.on('earshot/lab-1/transcript/mic-1')[0]!.json<TranscriptPayload>();
  t.same(payloadErrors('transcript', got), [], 'received payload validates against the schema');
  t.equal(got.id, tr.id);
  t.equal(got.text, 'turn on light 7');
  // Delivered means acknowledged: the outbox is empty again.
  await sub.waitFor(() => service.state().outbox?.depth === 0, 2000, 'outbox to drain');
  t.equal(service.state().outbox?.depth, 0);

  // A producer bug is refused with the field named, and nothing is published.
  await t.rejects(service.publishTranscript({ ...tr, id: 'x', rtf: -1 }), /\/rtf: must be >= 0/);
  await t.rejects(service.publishTranscript({ ...sampleTranscript(8, 'other-site') }), /siteId "other-site"/);

  // Telemetry from the source the daemon sets, with the outbox depth filled in.
  service.setTelemetrySource(() => ({
    power: { watts: 5.2, method: 'estimated', source: 'cpu-time-model' },
    temperature: { celsius: 48 },
    carbon: { intensityGPerKwh: 250 },
    model: { id: 'earshot-tiny-en', state: 'loaded' },
    queue: { depth: 2 },
  }));
  await service.sendTelemetry();
  await sub.waitFor((m) => m.some((x) => x.topic === 'earshot/lab-1/telemetry'), 5000, 'telemetry');
  const tel = sub.on('earshot/lab-1/telemetry')[0]!.json<TelemetryPayload>();
  t.same(payloadErrors('telemetry', tel), []);
  t.match(tel, { v: 1, siteId: 'lab-1', queue: { depth: 2, outboxDepth: 0 } });

  sub.client.options.reconnectPeriod = 0;
  await service.stop();
  await sub.close();
});

t.test('a start that fails half way releases what it opened, and says why', async (t) => {
  const holder = new EmbeddedBroker({ host: '127.0.0.1', port: 0, passwordFile: null, siteId: 'test', logger: silentLogger });
  const { port } = await holder.start();
  t.teardown(() => holder.stop());
  const dataDir = tempDir();
  const service = new MqttService({ config: mqttTestConfig({ embedded: { port } }), siteId: 'lab-3', version: '0', logger: silentLogger, dataDir });
  await t.rejects(service.start(), new RegExp(`embedded MQTT broker cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`));
  t.same(service.state(), { embeddedBroker: null, connection: null, outbox: null, publishRefused: null, commands: null, fleet: null });
  // The outbox was closed: a second service can open the same directory and work.
  const again = new MqttService({ config: mqttTestConfig({ embedded: { port: 0 } }), siteId: 'lab-3', version: '0', logger: silentLogger, dataDir });
  await again.start();
  t.equal(again.state().connection?.state, 'connected');
  await again.stop();
});

t.test('telemetry goes out every telemetryIntervalSec and stops with the service', async (t) => {
  const service = new MqttService({ config: mqttTestConfig({ embedded: { port: 0 }, telemetryIntervalSec: 1 }), siteId: 'lab-tel', version: '0', logger: silentLogger, dataDir: tempDir() });
  let calls = 0;
  service.setTelemetrySource(() => {
    calls += 1;
    return { power: { watts: null, method: 'unknown' }, temperature: { celsius: null }, carbon: { intensityGPerKwh: null }, model: { id: null, state: 'unloaded' }, queue: { depth: calls } };
  });
  await service.start();
  const sub = await TestSubscriber.connect(service.embeddedBrokerAddress()!.url, 'earshot/lab-tel/telemetry');
  t.teardown(() => sub.close());
  await sub.waitFor((m) => m.length >= 2, 5000, 'two telemetry messages');
  const depths = sub.messages.map((m) => m.json<TelemetryPayload>().queue.depth);
  t.ok(depths[1]! > depths[0]!, `a fresh reading each time (${depths.join(', ')})`);
  sub.client.options.reconnectPeriod = 0;
  await service.stop();
  const after = calls;
  await new Promise((r) => setTimeout(r, 1300));
  t.equal(calls, after, 'no telemetry after stop');
});

/**
 * A daemon's MQTT service on aedes through a relay, a subscriber on the broker itself, and a
 * transcript accepted (durable) and sent while the relay passes nothing: never acknowledged.
 */
async function transcriptInFlight(t: Test, siteId: string) {
  const broker = new EmbeddedBroker({ host: '127.0.0.1', port: 0, passwordFile: null, siteId: 'test', logger: silentLogger });
  const { port, url } = await broker.start();
  t.teardown(() => broker.stop());
  const relay = await new TcpProxy(port).start();
  t.teardown(() => relay.stop());
  const sub = await TestSubscriber.connect(url, [`earshot/${siteId}/status`, `earshot/${siteId}/transcript/+`], { protocolVersion: 4 });
  t.teardown(() => sub.close());
  const dataDir = tempDir();
  const service = new MqttService({ config: mqttTestConfig({ url: relay.url, protocolVersion: 4, telemetryIntervalSec: 0 }), siteId, version: '0', logger: silentLogger, dataDir });
  await service.start();
  await sub.waitFor((m) => m.some((x) => x.json<StatusPayload>().state === 'online'), 5000, 'online status');
  relay.stall();
  const transcript = sampleTranscript(1, siteId);
  await service.publishTranscript(transcript);
  t.equal(service.state().outbox?.depth, 1, 'the transcript is in the outbox, not acknowledged');
  // The next run, with the broker reachable again: what the outbox kept goes out.
  const restart = async () => {
    const again = new MqttService({ config: mqttTestConfig({ url, protocolVersion: 4, telemetryIntervalSec: 0 }), siteId, version: '0', logger: silentLogger, dataDir });
    await again.start();
    t.teardown(() => again.stop());
    const arrived = (m: typeof sub.messages) => m.some((x) => x.topic.includes('/transcript/') && x.json<TranscriptPayload>().id === transcript.id);
    await sub.waitFor(arrived, 5000, 'the transcript after the restart');
    t.ok(arrived(sub.messages), 'the next start delivered the transcript: nothing was lost');
    await sub.waitFor(() => again.state().outbox?.depth === 0, 5000, 'the outbox to drain');
  };
  return { relay, sub, service, dataDir, restart };
}

/** How long `service.stop()` took, or null when it had not returned after `limitMs`. */
async function timedStop(service: MqttService, limitMs: number): Promise<number | null> {
  const t0 = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), limitMs)));
  const took = await Promise.race([service.stop().then(() => Date.now() - t0), late]);
  clearTimeout(timer);
  return took;
}

const lastStatus = (sub: TestSubscriber) => sub.messages.filter((m) => m.topic.endsWith('/status')).at(-1)?.json<StatusPayload>();

t.test('stopped while the broker is gone with a transcript unacknowledged: stop returns at once, the next start delivers it', async (t) => {
  const { relay, sub, service, dataDir, restart } = await transcriptInFlight(t, 'lab-gone');
  await relay.stop();
  await sub.waitFor(() => service.state().connection?.state !== 'connected', 3000, 'the connection to drop');
  const took = await timedStop(service, GRACEFUL_STOP_MS + 5000);
  // At once: below the 2 s the offline status may wait for its acknowledgement (and the
  // connection's 3 s graceful bound), with room for a loaded box.
  t.ok(took !== null && took < 1500, `stop() returned at once (${took} ms)`);
  t.equal(readOutboxStats(join(dataDir, 'outbox')).depth, 1, 'the transcript is still in the outbox on disk');
  await sub.waitFor(() => lastStatus(sub)?.state === 'offline', 3000, 'the will');
  await restart();
});

t.test('stopped while the broker acknowledges nothing: stop is bounded, the status ends offline, the next start delivers the transcript', async (t) => {
  const { sub, service, dataDir, restart } = await transcriptInFlight(t, 'lab-silent');
  const took = await timedStop(service, 2000 + GRACEFUL_STOP_MS + 5000);
  // 2 s for the offline status that is never acknowledged either, then the connection's bound.
  t.ok(took !== null && took < 2000 + GRACEFUL_STOP_MS + 2000, `stop() returned within its bound (${took} ms)`);
  t.equal(readOutboxStats(join(dataDir, 'outbox')).depth, 1, 'the transcript is still in the outbox on disk');
  // No DISCONNECT went out: the broker published the will, so 'online' is not left retained.
  await sub.waitFor(() => lastStatus(sub)?.state === 'offline', 3000, 'the will');
  t.match(lastStatus(sub), { state: 'offline', reason: 'connection lost' });
  t.equal(sub.messages.filter((m) => m.topic.includes('/transcript/')).length, 0, 'the broker never got the transcript');
  await restart();
});
