import t from 'tap';
import { Controller } from '../../daemon/controller.js';
import { loadConfig } from '../../daemon/config/load.js';
import { LogSink } from '../../daemon/log/logger.js';
import { tempDir } from '../helpers/paths.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The controller's ordering with services whose start and stop take set times (the real
 * ones depend on brokers, disks and plugins): a stop that gave up waiting for a slow start
 * must not run a second stop loop beside its own. The late service is stopped next, and
 * never while another stops, so the scheduler's last jobs still find MQTT up.
 */
t.test('a start that ends after the stop gave up on it is stopped next, one stop at a time', async (t) => {
  const config = loadConfig({ env: { EARSHOT_DATA_DIR: tempDir() } });
  const events: string[] = [];
  const steps: string[] = [];
  const controller = new Controller({ config, logs: new LogSink({ level: 'error', format: 'text', write: () => undefined }), version: 'test', onStopStep: (step, budgetMs) => steps.push(`${step} (${budgetMs} ms)`) });
  let stopping = 0;
  let overlapped = false;
  let pluginsStopping!: () => void;
  const pluginsStopBegun = new Promise<void>((resolve) => (pluginsStopping = resolve));
  const service = (name: string, startUntil: () => Promise<unknown>, stopMs: number, onStop: () => void = () => {}) => ({
    name,
    async start() {
      await startUntil();
      events.push(`started ${name}`);
    },
    async stop() {
      if (++stopping > 1) overlapped = true;
      events.push(`stop ${name}`);
      onStop();
      await sleep(stopMs);
      stopping--;
    },
  });
  const quick = () => sleep(10);
  // mqtt slow to stop (offline status, close); the stack slow to start (a big queue on an SD
  // card): it finishes starting long after the stop gave up on it (8 s), while the stop is
  // busy with plugins. Tied to that moment rather than to a time, so a stalled test process
  // cannot move it before the give-up or past the plugins' stop. (It would end at 30 s if the
  // stop never got that far.)
  let fallback: NodeJS.Timeout | undefined;
  t.teardown(() => clearTimeout(fallback));
  let stackStarting!: () => void;
  const stackStartBegun = new Promise<void>((resolve) => (stackStarting = resolve));
  const stackStarted = () => {
    stackStarting();
    return Promise.race([pluginsStopBegun, new Promise((r) => (fallback = setTimeout(r, 30_000)))]);
  };
  (controller as unknown as { services: unknown[] }).services = [service('mqtt', quick, 3000), service('plugins', quick, 1500, pluginsStopping), service('stack', stackStarted, 500), service('control', quick, 10)];
  const starting = controller.start();
  // SIGTERM while the stack starts (once it has begun, not at a set time a stall could put earlier).
  await stackStartBegun;
  await sleep(300);
  await controller.stop();
  await t.rejects(starting, { name: 'StartInterrupted', message: 'stopped while starting' });
  await sleep(100);
  t.notOk(overlapped, `never two services stopping at once (${events.join(', ')})`);
  t.notOk(events.includes('started control'), 'nothing started after the stack');
  t.ok(events.indexOf('stop stack') < events.indexOf('stop mqtt'), `the stack stopped before MQTT (${events.join(', ')})`);
  t.ok(events.includes('stop plugins') && events.includes('stop mqtt'), 'everything that started was stopped');
  t.same(steps, ['waiting for stack to finish starting (9000 ms)', 'stopping plugins (10000 ms)', 'stopping stack (10000 ms)', 'stopping mqtt (10000 ms)'], 'systemd is told each step and its budget, the late stack included');
});
