import type { Test } from 'tap';
import { runCli, startDaemon, type RunningDaemon } from '../../helpers/daemon-process.js';

/** The power model the daemon is given (no meter): idle 40 W, 7 W a thread, so idle + one thread is 47 W. */
export const IDLE_WATTS = 40;
export const WATTS_PER_THREAD = 7;

/** A daemon with that power model and `budget set --watts <watts>` applied live; killed when the test ends. */
export async function budgetedDaemon(t: Test, watts: number): Promise<RunningDaemon> {
  const daemon = await startDaemon({ energy: { meter: 'none', idleWatts: IDLE_WATTS, wattsPerThread: WATTS_PER_THREAD }, scheduler: { tickMs: 100 } });
  t.teardown(() => {
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  });
  const set = await runCli(['budget', 'set', '--watts', String(watts), '--socket', daemon.socket]);
  t.equal(set.code, 0, set.stderr);
  return daemon;
}
