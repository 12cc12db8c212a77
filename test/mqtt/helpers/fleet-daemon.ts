/**
 * A box of a fleet group in a real process: MqttService (status with last will) joined to
 * the group, whose job runner does `workMs` of work and appends `<jobId> <siteId>` to
 * `completedFile` when a job is finished. It has budget while `budgetFile` exists (a file
 * stands in for the scheduler's decision). Prints `ready`, and `start <jobId>` per job.
 *
 * argv[2]: JSON { url, dataDir, siteId, group, workMs, completedFile, budgetFile }
 */
import { appendFileSync, existsSync } from 'node:fs';
import { MqttService } from '../../../daemon/mqtt/mqtt-service.js';
import { LogSink } from '../../../daemon/log/logger.js';
import { mqttTestConfig } from './config.js';

interface Args {
  url: string;
  dataDir: string;
  siteId: string;
  group: string;
  workMs: number;
  completedFile: string;
  budgetFile: string;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const logger = new LogSink({ level: 'info', format: 'text', write: (line) => process.stderr.write(line + '\n'), syslogPrefix: false }).logger(args.siteId);
const service = new MqttService({
  config: mqttTestConfig({ url: args.url, fleet: { enabled: true, group: args.group, leaseSec: 60 }, reconnect: { minDelayMs: 100, maxDelayMs: 400 }, telemetryIntervalSec: 0 }),
  siteId: args.siteId,
  version: '0.0.0-test',
  logger,
  dataDir: args.dataDir,
});
service.onFleetJob(
  async (offer) => {
    process.stdout.write(`start ${offer.jobId}\n`);
    await new Promise((r) => setTimeout(r, args.workMs));
    appendFileSync(args.completedFile, `${offer.jobId} ${args.siteId}\n`);
    return { text: `transcript of ${String(offer.job.file)}`, by: args.siteId };
  },
  () => existsSync(args.budgetFile),
);
await service.start();
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void service.stop().then(() => process.exit(0));
});
