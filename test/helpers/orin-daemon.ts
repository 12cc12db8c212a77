import type { Test } from 'tap';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesDir, tempDir } from './paths.js';
import { startDaemon, type RunningDaemon } from './daemon-process.js';
import { callDaemonUntyped } from '../../daemon/control/client.js';

/** The Orin's CPU sensor (cpu-thermal), the one the scheduler picks there. */
export const ORIN_CPU_SENSOR = 'sys/class/thermal/thermal_zone0/temp';

/**
 * A real daemon on a copy of a Jetson Orin's sysfs (scheduler.thermal.sysfsRoot), at 50 °C,
 * with limits 70 / 85 °C and work resuming at 65 °C; `setTemp` writes its CPU sensor's file,
 * which the daemon reads every 100 ms pass; `thermal` adds to its scheduler.thermal section. Killed when the test ends.
 */
export async function orinDaemon(t: Test, thermal: Record<string, unknown> = {}): Promise<{ root: string; setTemp: (c: number) => void; daemon: RunningDaemon }> {
  const root = join(tempDir('earshot-orin-'), 'orin');
  cpSync(join(fixturesDir, 'sysfs', 'jetson-orin'), root, { recursive: true });
  const setTemp = (c: number): void => writeFileSync(join(root, ORIN_CPU_SENSOR), `${c * 1000}\n`);
  setTemp(50);
  const daemon = await startDaemon({ scheduler: { tickMs: 100, thermal: { sysfsRoot: root, softC: 70, hardC: 85, hysteresisC: 5, ...thermal } } });
  t.teardown(() => void (daemon.child.exitCode === null && daemon.child.kill('SIGKILL')));
  return { root, setTemp, daemon };
}

/**
 * The scheduler's line of the daemon's status, as `earshot status --json` shows it: asked over
 * the control socket from this process, since the waits below ask every 100 ms and a CLI run
 * costs most of a second of a busy box's CPU.
 */
export async function schedulerStatus(d: RunningDaemon): Promise<{ state: string; detail: string }> {
  const status = (await callDaemonUntyped('status', {}, { socket: d.socket })) as { components: Array<{ name: string; state: string; detail: string }> };
  const found = status.components.find((c) => c.name === 'scheduler');
  return { state: found?.state ?? '', detail: found?.detail ?? '' };
}

/** Waits until the scheduler's status detail matches (each pass is 100 ms); returns it. */
export async function untilSchedulerStatus(d: RunningDaemon, pattern: RegExp): Promise<string> {
  let detail = '';
  for (const end = Date.now() + 15_000; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
    detail = (await schedulerStatus(d)).detail;
    if (pattern.test(detail)) return detail;
  }
  throw new Error(`scheduler status never matched ${pattern}: ${detail}`);
}
