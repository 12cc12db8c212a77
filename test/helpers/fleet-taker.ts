import type { Test } from 'tap';
import { join } from 'node:path';
import { startDaemon, type RunningDaemon } from './daemon-process.js';
import { fixturesDir } from './paths.js';

/**
 * A real earshotd (site `box`) in fleet group `group` on the broker at `url`, transcribing
 * with the energy VAD and the CPU test model; `mqtt` adds to its mqtt section. SIGKILLed
 * when the test ends, if still running.
 */
export async function startFleetTaker(t: Test, o: { url: string; group: string; leaseSec: number; mqtt?: Record<string, unknown> }): Promise<RunningDaemon> {
  const taker = await startDaemon({
    siteId: 'box',
    mqtt: { url: o.url, fleet: { enabled: true, group: o.group, leaseSec: o.leaseSec }, telemetryIntervalSec: 0, ...o.mqtt },
    vad: { detector: 'energy' },
    model: { dir: join(fixturesDir, 'asr', 'models', 'nemo-ctc'), providers: ['cpu'] },
    scheduler: { tickMs: 100 },
  });
  t.teardown(() => {
    if (taker.child.exitCode === null && taker.child.signalCode === null) taker.child.kill('SIGKILL');
  });
  return taker;
}
