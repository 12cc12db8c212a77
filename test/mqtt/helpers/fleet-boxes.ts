import type { Test } from 'tap';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FleetOfferer } from '../../../daemon/mqtt/fleet/fleet-offerer.js';
import { silentLogger } from '../../../daemon/log/logger.js';
import { MqttService } from '../../../daemon/mqtt/mqtt-service.js';
import { mqttTestConfig } from './config.js';
import type { FleetIdentityConfig } from '../../../daemon/mqtt/fleet/fleet-identity-load.js';
import type { FleetIdentity } from '../../../daemon/mqtt/fleet/fleet-identity.js';
import { connectTo } from './connection.js';
import { ChildLines, spawnHelper } from './child.js';

/** The site holding the backlog: offers jobs to the group from this test process. */
export async function offererOn(t: Test, url: string, group: string, key: Buffer | null = null, identity: FleetIdentity | null = null) {
  const connection = await connectTo(t, url, `offerer-${group}`);
  const offerer = new FleetOfferer({ connection, group, siteId: 'hq', leaseMs: 60_000, claimTimeoutMs: 5000, key, identity, logger: silentLogger });
  await offerer.start();
  // Before the connection's own teardown, which connectTo registered first.
  t.teardown(() => offerer.stop());
  return offerer;
}

/** One box of the group in its own process (see fleet-daemon.ts). */
export function startBox(t: Test, url: string, group: string, siteId: string, dir: string, budget = true) {
  const budgetFile = join(dir, `${siteId}.budget`);
  if (budget) writeFileSync(budgetFile, '');
  const completedFile = join(dir, `${siteId}.completed`);
  writeFileSync(completedFile, '');
  const box = new ChildLines(spawnHelper('fleet-daemon', [JSON.stringify({ url, dataDir: join(dir, siteId), siteId, group, workMs: WORK_MS, completedFile, budgetFile })]));
  t.teardown(() => {
    box.child.kill('SIGKILL');
  });
  return { box, siteId, budgetFile, completed: () => readFileSync(completedFile, 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ')[0]!) };
}


/** Job run time of every test box. */
const WORK_MS = 60;

/**
 * A box of the group inside this test process: a real MqttService with its own connections
 * to the broker, the same job runner and budget file as fleet-daemon.ts. Cheaper to start
 * than a process; use startBox for the box a test kills.
 */
export async function startLocalBox(t: Test, url: string, group: string, siteId: string, dir: string, budget = true, keyFile: string | null = null, identity: FleetIdentityConfig | null = null) {
  const budgetFile = join(dir, `${siteId}.budget`);
  if (budget) writeFileSync(budgetFile, '');
  const completedFile = join(dir, `${siteId}.completed`);
  writeFileSync(completedFile, '');
  const service = new MqttService({
    config: mqttTestConfig({ url, fleet: { enabled: true, group, leaseSec: 60, keyFile, identity }, reconnect: { minDelayMs: 100, maxDelayMs: 400 }, telemetryIntervalSec: 0 }),
    siteId,
    version: '0.0.0-test',
    logger: silentLogger,
    dataDir: join(dir, siteId),
  });
  service.onFleetJob(
    async (offer) => {
      await new Promise((r) => setTimeout(r, WORK_MS));
      appendFileSync(completedFile, `${offer.jobId} ${siteId}\n`);
      return { text: `transcript of ${String(offer.job.file)}`, by: siteId };
    },
    () => existsSync(budgetFile),
  );
  await service.start();
  t.teardown(() => service.stop());
  return { service, siteId, budgetFile, completed: () => readFileSync(completedFile, 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ')[0]!) };
}
