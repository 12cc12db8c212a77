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
  const service = (name: string, startMs: number, stopMs: number) => ({
    name,
    async start() {
      await sleep(startMs);
      events.push(`started ${name}`);
    },
    async stop() {
      if (++stopping > 1) overlapped = true;
      events.push(`stop ${name}`);
      await sleep(stopMs);
      stopping--;
    },
  });
  // mqtt slow to stop (offline status, close); the stack slow to start (a big queue on an SD card)
  (controller as unknown as { services: unknown[] }).services = [service('mqtt', 10, 3000), service('plugins', 10, 1500), service('stack', 9000, 500), service('control', 10, 10)];
  const starting = controller.start();
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
