import t, { type Test } from 'tap';
import { MqttService } from '../../daemon/mqtt/mqtt-service.js';
import { silentLogger } from '../../daemon/log/logger.js';
import { readOutboxStats } from '../../daemon/mqtt/outbox/outbox-stats.js';
import { payloadErrors } from '../../daemon/mqtt/payload-schemas.js';
import type { TranscriptPayload } from '../../daemon/mqtt/payloads/transcript.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { tempDir } from '../helpers/paths.js';
import { mqttTestConfig } from './helpers/config.js';
import { sampleTranscript } from './helpers/transcripts.js';
import { TestSubscriber } from './helpers/subscriber.js';
import { ChildLines, spawnHelper } from './helpers/child.js';
import { join } from 'node:path';

const N = 200;

/** An archiver with a persistent session: the broker queues for it while either side is away. */
function archiver(url: string, clientId: string): Promise<TestSubscriber> {
  return TestSubscriber.connect(url, 'earshot/+/transcript/+', { clientId, clean: false, protocolVersion: 5, properties: { sessionExpiryInterval: 3600 } });
}

function idsOf(sub: TestSubscriber): string[] {
  return sub.messages.filter((m) => m.topic.includes('/transcript/')).map((m) => m.json<TranscriptPayload>().id);
}

function expectAll(t: Test, sub: TestSubscriber, siteId: string): void {
  const ids = idsOf(sub);
  const distinct = [...new Set(ids)];
  const expected = Array.from({ length: N }, (_, i) => sampleTranscript(i, siteId).id);
  t.equal(distinct.length, N, `${N} distinct transcripts arrived (${ids.length - distinct.length} duplicate deliveries)`);
  t.same(new Set(distinct), new Set(expected), 'exactly the produced ids, none lost');
  t.same(distinct, expected, 'first deliveries in production order');
  t.ok(sub.messages.every((m) => payloadErrors('transcript', m.json()).length === 0), 'every payload validates');
}

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

t.test(`SIGKILL of the producing daemon mid-stream and during an outage, then a restart: all ${N} arrive`, async (t) => {
  const broker = await new Mosquitto().start();
  t.teardown(() => broker.stop());
  const sub = await archiver(broker.url, 'archiver-crash');
  t.teardown(() => sub.close());
  const children: ChildLines[] = [];
  t.teardown(() => children.forEach((c) => c.child.kill('SIGKILL')));
  const dataDir = tempDir();
  const run = (from: number, to: number) =>
    children[children.push(new ChildLines(spawnHelper('outbox-producer', [JSON.stringify({ url: broker.url, dataDir, siteId: 'lab-kill', from, to, intervalMs: 5 })]))) - 1]!;

  // 1. Killed mid-stream with the broker up.
  const first = run(0, N - 1);
  await first.waitFor((l) => first.lastDurable() >= 70, 20_000, 'durable 70');
  first.child.kill('SIGKILL');
  await first.exited();
  const k1 = first.lastDurable();

  // 2. Restarted during an outage, killed again with transcripts only on disk.
  await broker.stop();
  const second = run(k1 + 1, N - 1);
  await second.waitFor(() => second.lastDurable() >= k1 + 40, 20_000, 'durable during the outage');
  second.child.kill('SIGKILL');
  await second.exited();
  const k2 = second.lastDurable();
  const onDisk = readOutboxStats(join(dataDir, 'outbox'));
  t.ok(onDisk.depth >= 40, `${onDisk.depth} transcripts waiting on disk after the second kill`);

  // 3. Broker back, daemon restarted: the leftovers go first, then the rest of the stream.
  await broker.start();
  const third = run(k2 + 1, N - 1);
  await third.waitFor((l) => l.includes('drained'), 30_000, 'drained');
  t.match(third.lines[0], /^started pending=\d+/);
  t.ok(Number(/pending=(\d+)/.exec(third.lines[0]!)![1]) >= onDisk.depth, 'restart found the leftovers');
  await third.exited();
  await sub.waitFor(() => new Set(idsOf(sub)).size >= N, 20_000, `${N} transcripts`);
  expectAll(t, sub, 'lab-kill');
  t.equal(readOutboxStats(join(dataDir, 'outbox')).depth, 0, 'outbox empty at the end');
});
