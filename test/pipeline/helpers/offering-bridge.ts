import type { Test } from 'tap';
import { join } from 'node:path';
import { silentLogger, type Logger } from '../../../daemon/log/logger.js';
import { EventBus } from '../../../daemon/bus.js';
import { JobQueue } from '../../../daemon/scheduler/job-queue.js';
import type { MqttConnection } from '../../../daemon/mqtt/connection.js';
import { FleetOfferer } from '../../../daemon/mqtt/fleet/fleet-offerer.js';
import { FleetBridge, type FleetBridgeOptions } from '../../../daemon/pipeline/fleet-bridge.js';

/**
 * The offering daemon's half of a fleet, as the controller wires it: a real offerer on
 * `connection` (site `hq`; claim timeout and lease long, unless `claimTimeoutMs` and `leaseMs` say, so nothing is
 * offered again while a test looks at what went out) and a bridge over `dataDir` with its own queue. Both are
 * stopped when the test ends, or by `stop` (a restart).
 */
export async function offeringBridge(t: Test, o: { connection: MqttConnection; group: string; dataDir: string; fleet: FleetBridgeOptions['fleet']; retention?: FleetBridgeOptions['retention']; logger?: Logger; offerRefusal?: FleetBridgeOptions['offerRefusal']; leaseMs?: number; claimTimeoutMs?: number }) {
  const offerer = new FleetOfferer({ connection: o.connection, group: o.group, siteId: 'hq', leaseMs: o.leaseMs ?? 600_000, claimTimeoutMs: o.claimTimeoutMs ?? 600_000, logger: o.logger ?? silentLogger });
  await offerer.start();
  const bridge = new FleetBridge({
    siteId: 'hq',
    dataDir: o.dataDir,
    queue: new JobQueue({ dir: join(o.dataDir, 'queue'), logger: silentLogger, defaultDeadlineHours: 24, maxAttempts: 3 }),
    scheduler: () => undefined,
    offerer: () => offerer,
    bus: new EventBus(),
    logger: silentLogger,
    fleet: o.fleet,
    ...(o.retention ? { retention: o.retention } : {}),
    ...(o.offerRefusal ? { offerRefusal: o.offerRefusal } : {}),
  });
  await bridge.start();
  const stop = async () => {
    await bridge.stop();
    await offerer.stop();
  };
  t.teardown(stop);
  return { offerer, bridge, stop };
}
