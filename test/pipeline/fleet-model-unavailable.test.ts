import t from 'tap';
import { join } from 'node:path';
import { tempDir } from '../helpers/paths.js';
import { silentLogger } from '../../daemon/log/logger.js';
import { EventBus } from '../../daemon/bus.js';
import { JobQueue } from '../../daemon/scheduler/job-queue.js';
import { FleetBridge } from '../../daemon/pipeline/fleet-bridge.js';
import type { Scheduler } from '../../daemon/scheduler/scheduler.js';

/**
 * A box whose model cannot be loaded takes no work from the group: a taken job would wait
 * there for the model (it is postponed, not failed) until its lease ran out, while another
 * box could transcribe it. It takes work again once its model loads.
 */
t.test('no fleet work is claimed while the model cannot be loaded, and again once it can', async (t) => {
  const dataDir = tempDir('earshot-fleet-model-');
  const queue = new JobQueue({ dir: join(dataDir, 'queue'), logger: silentLogger, defaultDeadlineHours: 24, maxAttempts: 3 });
  /** What the bridge reads of the scheduler: running, batch work not paused, two slots. */
  const scheduler = () => ({ state: () => ({ state: 'running' }), decision: { pauseBatch: false, thermalState: 'normal', concurrency: 2 } }) as unknown as Scheduler;
  let loadError: string | undefined = '/srv/models/en: model directory not found';
  const bridge = new FleetBridge({
    siteId: 'taker',
    dataDir,
    queue,
    scheduler,
    cannotWork: () => loadError,
    offerer: () => {
      throw new Error('not offering');
    },
    bus: new EventBus(),
    logger: silentLogger,
    fleet: { maxAudioBytes: 1 << 20, maxOutstandingBytes: 1 << 20, claimTimeoutSec: 60, maxHeld: 2 },
  });
  await queue.start();
  await bridge.start();
  t.teardown(async () => {
    await bridge.stop();
    await queue.stop();
  });
  t.equal(bridge.hasBudget(), false, 'a slot is free, but the model cannot be loaded');
  loadError = undefined;
  t.equal(bridge.hasBudget(), true, 'the model loads again: it takes work');
  t.equal(bridge.hasBudget(2), false, 'as many as it has slots');
});
