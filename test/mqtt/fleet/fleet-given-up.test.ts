import t from 'tap';
import { join } from 'node:path';
import { Mosquitto } from '../../helpers/mosquitto.js';
import { tempDir } from '../../helpers/paths.js';
import { mqttTestConfig } from '../helpers/config.js';
import { silentLogger } from '../../../daemon/log/logger.js';
import { MqttConnection } from '../../../daemon/mqtt/connection.js';
import { buildClientOptions } from '../../../daemon/mqtt/client-options.js';
import { MqttService } from '../../../daemon/mqtt/mqtt-service.js';
import { FleetOfferer } from '../../../daemon/mqtt/fleet/fleet-offerer.js';
import { FleetJobGivenUp } from '../../../daemon/mqtt/fleet/fleet-worker.js';

/**
 * A box that gives a taken job up (it got too hot) answers nothing, so the offerer does not
 * take an error for the job's result, and frees its slot: the offer comes again when the
 * lease ends, and the same box, cool again, does it.
 */
t.test('a job given up is not answered, and the box takes the next offer of it', async (t) => {
  const broker = await new Mosquitto().start();
  t.teardown(() => broker.stop());
  const dir = tempDir();
  const box = new MqttService({
    config: mqttTestConfig({ url: broker.url, fleet: { enabled: true, group: 'shop', leaseSec: 60 }, reconnect: { minDelayMs: 100, maxDelayMs: 400 }, telemetryIntervalSec: 0 }),
    siteId: 'hot',
    version: '0.0.0-test',
    logger: silentLogger,
    dataDir: join(dir, 'hot'),
  });
  const attempts: number[] = [];
  box.onFleetJob(
    async (offer) => {
      attempts.push(offer.attempt);
      if (offer.attempt === 1) throw new FleetJobGivenUp('too hot');
      return { text: 'done on the second offer' };
    },
    () => true,
  );
  await box.start();
  t.teardown(() => box.stop());

  const config = mqttTestConfig({ url: broker.url });
  const connection = new MqttConnection({ url: broker.url, clientOptions: buildClientOptions({ config, url: broker.url, clientId: 'offerer-shop' }), reconnect: config.reconnect, logger: silentLogger });
  await connection.start();
  const offerer = new FleetOfferer({ connection, group: 'shop', siteId: 'hq', leaseMs: 1500, claimTimeoutMs: 5000, logger: silentLogger });
  await offerer.start();
  t.teardown(async () => {
    await offerer.stop();
    await connection.stop();
  });

  const done = await offerer.offer('j1', { file: 'f1' });
  t.match(done, { status: 'ok', attempt: 2, takenBy: 'hot' }, 'the first offer got no answer (no error result); the second was done');
  t.same(attempts, [1, 2]);
  // The worker frees the second job's slot just after publishing its result.
  for (let i = 0; i < 100 && box.state().fleet?.worker?.running !== 0; i++) await new Promise((r) => setTimeout(r, 20));
  t.match(box.state().fleet?.worker, { running: 0, held: 0, failed: 0 }, 'both slots freed, and nothing counted as failed');
});
