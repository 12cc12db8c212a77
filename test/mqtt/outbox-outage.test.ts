import t from 'tap';
import { join } from 'node:path';
import { MqttService } from '../../daemon/mqtt/mqtt-service.js';
import { silentLogger } from '../../daemon/log/logger.js';
import { readOutboxStats } from '../../daemon/mqtt/outbox/outbox-stats.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { tempDir } from '../helpers/paths.js';
import { mqttTestConfig } from './helpers/config.js';
import { sampleTranscript } from './helpers/transcripts.js';
import { archiver, expectAll, idsOf, N } from './helpers/delivery.js';

t.test(`Mosquitto stopped while ${N} transcripts are produced, then restarted: all arrive`, async (t) => {
  const broker = await new Mosquitto().start();
  t.teardown(() => broker.stop());
  const sub = await archiver(broker.url, 'archiver-outage');
  t.teardown(() => sub.close());
  const dataDir = tempDir();
  const service = new MqttService({
    config: mqttTestConfig({ url: broker.url, reconnect: { minDelayMs: 100, maxDelayMs: 400 }, telemetryIntervalSec: 0 }),
    siteId: 'lab-out',
    version: '0.0.0-test',
    logger: silentLogger,
    dataDir,
  });
  await service.start();
  t.equal(service.state().connection?.state, 'connected');

  await broker.stop();
  for (let i = 0; i < N; i++) await service.publishTranscript(sampleTranscript(i, 'lab-out'));
  t.equal(service.state().outbox?.depth, N, 'all held in the outbox during the outage');
  t.equal(readOutboxStats(join(dataDir, 'outbox')).depth, N, 'and on disk');

  await broker.start();
  await sub.waitFor(() => new Set(idsOf(sub)).size >= N, 20_000, `${N} transcripts after the restart`);
  expectAll(t, sub, 'lab-out');
  await sub.waitFor(() => service.state().outbox?.depth === 0, 5000, 'outbox to drain');
  t.equal(service.state().connection?.connects, 2, 'reconnected once');
  await service.stop();
});


t.test('Mosquitto stopped mid-stream with messages in flight, over MQTT 3.1.1: all arrive, in order', async (t) => {
  const broker = await new Mosquitto().start();
  t.teardown(() => broker.stop());
  const sub = await archiver(broker.url, 'archiver-midstream');
  t.teardown(() => sub.close());
  const service = new MqttService({
    config: mqttTestConfig({ url: broker.url, protocolVersion: 4, reconnect: { minDelayMs: 100, maxDelayMs: 400 }, telemetryIntervalSec: 0 }),
    siteId: 'lab-mid',
    version: '0.0.0-test',
    logger: silentLogger,
    dataDir: tempDir(),
  });
  await service.start();
  t.teardown(() => service.stop());

  // Accepted (durable) but not yet acknowledged when the broker goes: some are in flight.
  await Promise.all(Array.from({ length: N / 2 }, (_, i) => service.publishTranscript(sampleTranscript(i, 'lab-mid'))));
  const pendingAtStop = service.state().outbox!.depth;
  await broker.stop();
  for (let i = N / 2; i < N; i++) await service.publishTranscript(sampleTranscript(i, 'lab-mid'));
  t.ok(service.state().outbox!.depth >= N / 2, `${service.state().outbox!.depth} waiting (${pendingAtStop} were unacknowledged when the broker stopped)`);
  await broker.start();
  await sub.waitFor(() => new Set(idsOf(sub)).size >= N, 20_000, `${N} transcripts after the restart`);
  expectAll(t, sub, 'lab-mid');
  await sub.waitFor(() => service.state().outbox?.depth === 0, 5000, 'outbox to drain');
});
