/**
 * A stand-in for earshotd in crash tests: a real process running MqttService that produces
 * transcripts `from`..`to` and prints `durable <n>` once each is fsynced in the outbox. The
 * test kills it with SIGKILL and starts it again on the same data directory.
 *
 * argv[2]: JSON { url, dataDir, siteId, from, to, intervalMs }
 */
import { MqttService } from '../../../daemon/mqtt/mqtt-service.js';
import { LogSink } from '../../../daemon/log/logger.js';
import { mqttTestConfig } from './config.js';
import { sampleTranscript } from './transcripts.js';

interface Args {
  url: string;
  dataDir: string;
  siteId: string;
  from: number;
  to: number;
  intervalMs: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const logger = new LogSink({ level: 'info', format: 'text', write: (line) => process.stderr.write(line + '\n'), syslogPrefix: false }).logger('producer');
const service = new MqttService({
  config: mqttTestConfig({ url: args.url, reconnect: { minDelayMs: 100, maxDelayMs: 400 }, connectTimeoutMs: 2000, telemetryIntervalSec: 0 }),
  siteId: args.siteId,
  version: '0.0.0-test',
  logger,
  dataDir: args.dataDir,
});
await service.start();
process.stdout.write(`started pending=${service.state().outbox?.depth ?? -1}\n`);
for (let i = args.from; i <= args.to; i++) {
  await service.publishTranscript(sampleTranscript(i, args.siteId));
  process.stdout.write(`durable ${i}\n`);
  if (args.intervalMs > 0) await new Promise((r) => setTimeout(r, args.intervalMs));
}
while ((service.state().outbox?.depth ?? 0) > 0) await new Promise((r) => setTimeout(r, 50));
process.stdout.write('drained\n');
await service.stop();
