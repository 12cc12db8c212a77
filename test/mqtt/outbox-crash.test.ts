import t from 'tap';
import { join } from 'node:path';
import { readOutboxStats } from '../../daemon/mqtt/outbox/outbox-stats.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { tempDir } from '../helpers/paths.js';
import { ChildLines, spawnHelper } from './helpers/child.js';
import { MqttService } from '../../daemon/mqtt/mqtt-service.js';
import { LogSink } from '../../daemon/log/logger.js';
import { mqttTestConfig } from './helpers/config.js';
import { sampleTranscript } from './helpers/transcripts.js';
import { archiver, expectAll, idsOf, N } from './helpers/delivery.js';

t.test(`SIGKILL of the producing daemon mid-stream, with the broker gone, then a restart: all ${N} arrive`, async (t) => {
  const broker = await new Mosquitto().start();
  t.teardown(() => broker.stop());
  const sub = await archiver(broker.url, 'archiver-crash');
  t.teardown(() => sub.close());
  const dataDir = tempDir();

  // 1. Producing with the broker up; the broker goes away mid-stream and the producer keeps
  //    going into its outbox; then it is killed with SIGKILL, some transcripts only on disk.
  const first = new ChildLines(spawnHelper('outbox-producer', [JSON.stringify({ url: broker.url, dataDir, siteId: 'lab-kill', from: 0, to: N - 1, intervalMs: 5 })]));
  t.teardown(() => first.child.kill('SIGKILL'));
  await first.waitFor(() => first.lastDurable() >= 70, 60_000, 'durable 70');
  await broker.stop();
  const atOutage = first.lastDurable();
  await first.waitFor(() => first.lastDurable() >= atOutage + 40, 20_000, 'durable during the outage');
  first.child.kill('SIGKILL');
  await first.exited();
  const killedAt = first.lastDurable();
  const onDisk = readOutboxStats(join(dataDir, 'outbox'));
  t.ok(onDisk.depth >= 40, `${onDisk.depth} transcripts waiting on disk after the kill`);

  // 2. Broker back, daemon restarted (here in the test process, on the same data directory):
  //    the leftovers go first, then the rest of the stream.
  await broker.start();
  const lines: string[] = [];
  const restarted = new MqttService({
    config: mqttTestConfig({ url: broker.url, reconnect: { minDelayMs: 100, maxDelayMs: 400 }, telemetryIntervalSec: 0 }),
    siteId: 'lab-kill',
    version: '0.0.0-test',
    logger: new LogSink({ level: 'info', format: 'text', write: (l) => lines.push(l), syslogPrefix: false }).logger('mqtt'),
    dataDir,
  });
  await restarted.start();
  t.teardown(() => restarted.stop());
  t.match(lines.join('\n'), new RegExp(`outbox: pending messages from the last run depth=${onDisk.depth} `), 'restart found exactly the leftovers');
  for (let i = killedAt + 1; i < N; i++) await restarted.publishTranscript(sampleTranscript(i, 'lab-kill'));
  await sub.waitFor(() => new Set(idsOf(sub)).size >= N, 20_000, `${N} transcripts`);
  expectAll(t, sub, 'lab-kill');
  await sub.waitFor(() => restarted.state().outbox!.depth === 0, 5000, 'outbox to drain');
  t.equal(readOutboxStats(join(dataDir, 'outbox')).depth, 0, 'outbox empty on disk at the end');
});

t.test(`SIGKILL mid-stream with the broker up, then a restart: all ${N} arrive`, async (t) => {
  const broker = await new Mosquitto().start();
  t.teardown(() => broker.stop());
  const sub = await archiver(broker.url, 'archiver-crash-up');
  t.teardown(() => sub.close());
  const dataDir = tempDir();
  const first = new ChildLines(spawnHelper('outbox-producer', [JSON.stringify({ url: broker.url, dataDir, siteId: 'lab-kill-up', from: 0, to: N - 1, intervalMs: 2 })]));
  t.teardown(() => first.child.kill('SIGKILL'));
  await first.waitFor(() => first.lastDurable() >= 100, 60_000, 'durable 100');
  first.child.kill('SIGKILL');
  await first.exited();
  const killedAt = first.lastDurable();
  const leftovers = readOutboxStats(join(dataDir, 'outbox'));

  const restarted = new MqttService({
    config: mqttTestConfig({ url: broker.url, reconnect: { minDelayMs: 100, maxDelayMs: 400 }, telemetryIntervalSec: 0 }),
    siteId: 'lab-kill-up',
    version: '0.0.0-test',
    logger: new LogSink({ level: 'error', format: 'text', write: () => undefined }).logger('mqtt'),
    dataDir,
  });
  await restarted.start();
  t.teardown(() => restarted.stop());
  for (let i = killedAt + 1; i < N; i++) await restarted.publishTranscript(sampleTranscript(i, 'lab-kill-up'));
  await sub.waitFor(() => new Set(idsOf(sub)).size >= N, 20_000, `${N} transcripts`);
  t.pass(`${leftovers.depth} unacknowledged at the kill (${leftovers.damagedBytes} torn bytes)`);
  expectAll(t, sub, 'lab-kill-up');
});
