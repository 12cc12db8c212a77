import type { Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { LogSink } from '../../../daemon/log/logger.js';
import { DataDirLock } from '../../../daemon/data-dir-lock.js';

/** A data directory lock in this process, its log lines and its losses kept for the test to read. */
export function lockOn(dir: string, o: { renewMs?: number; staleAfterMs?: number } = {}) {
  const lines: string[] = [];
  const lost: string[] = [];
  const lock = new DataDirLock({ dir, logger: new LogSink({ level: 'info', format: 'text', write: (l) => void lines.push(l) }).logger('daemon'), onLost: (reason) => void lost.push(reason), ...o });
  return { lock, lines, lost };
}

/** lockOn, started (renewed every 100 ms) and stopped when the test ends: a start that took the lock over. */
export async function startedLockOn(t: Test, dir: string) {
  const next = lockOn(dir, { renewMs: 100 });
  await next.lock.start();
  t.teardown(() => next.lock.stop());
  return next;
}

/** A pid that ran and is gone. */
export function deadPid(): number {
  return spawnSync('true').pid!;
}
