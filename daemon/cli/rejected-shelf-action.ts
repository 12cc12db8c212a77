import { loadConfig } from '../config/load.js';
import { DataDirInUseError, DataDirLock } from '../data-dir-lock.js';
import { silentLogger } from '../log/logger.js';
import { outboxStoreFor } from '../mqtt/outbox/outbox-store.js';
import type { RejectedSelection, RejectedShelfResult } from '../mqtt/outbox/rejected-shelf.js';
import { isNotRunning } from './budget-in-force.js';
import { configFileOf, requestDaemon, resolveSocket, type DaemonTarget } from './daemon-flags.js';

export type ShelfAction = 'requeue' | 'delete';

/**
 * Requeues or deletes kept transcripts through the running daemon, which owns the outbox (a
 * record appended behind its back would be unknown to it, and lost at its next compaction).
 * With no daemon, on the data directory itself, holding its lock (earshotd.lock) meanwhile so
 * that a daemon cannot start on it halfway; one that runs with another socket is refused by
 * the lock. `where` says which way it went.
 */
export async function onRejectedShelf(action: ShelfAction, sel: RejectedSelection, target: DaemonTarget): Promise<RejectedShelfResult & { where: 'daemon' | 'data directory' }> {
  try {
    return { ...((await requestDaemon(`outbox.${action}`, sel, target, 60_000)) as RejectedShelfResult), where: 'daemon' };
  } catch (err) {
    if (target.site || !isNotRunning(err)) throw err;
  }
  const config = loadConfig({ file: configFileOf(target), env: process.env });
  const lock = new DataDirLock({ dir: config.dataDir, logger: silentLogger, onLost: () => undefined });
  try {
    await lock.start();
  } catch (err) {
    if (!(err instanceof DataDirInUseError)) throw err;
    // Its message tells a starting daemon what to do; this one is for the operator.
    throw new Error(`no earshotd answers on ${resolveSocket(target)}, but another one holds the data directory ${config.dataDir}; pass that daemon's --socket or --config`);
  }
  try {
    const store = outboxStoreFor(config.dataDir, config.mqtt.outbox, silentLogger);
    await store.open();
    try {
      return { ...(action === 'requeue' ? await store.requeue(sel) : await store.deleteRejected(sel)), where: 'data directory' };
    } finally {
      await store.close();
    }
  } finally {
    await lock.stop();
  }
}
