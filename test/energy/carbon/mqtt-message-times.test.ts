import t from 'tap';
import mqtt from 'mqtt';
import { Mosquitto } from '../../helpers/mosquitto.js';
import { runCli, startDaemon, waitFor } from '../../helpers/daemon-process.js';
import type { CarbonStatus } from '../../../daemon/energy/carbon/carbon-status.js';

const TOPIC = 'earshot/grid/intensity';

t.test("an MQTT carbon message's `at`: one far ahead is refused, one older than the value held is ignored", async (t) => {
  const broker = await new Mosquitto({ persistence: false }).start();
  t.teardown(() => broker.stop());
  const daemon = await startDaemon({
    mqtt: { url: broker.url, telemetryIntervalSec: 0 },
    scheduler: { carbon: { source: 'mqtt', mqttTopic: TOPIC, maxAgeMinutes: 5 } },
  });
  t.teardown(() => {
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  });
  const site = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  t.teardown(() => site.endAsync(true));
  const carbon = async (): Promise<CarbonStatus['current']> => {
    const r = await runCli(['carbon', '--json', '--socket', daemon.socket]);
    if (r.code !== 0) throw new Error(`earshot carbon failed (${r.code}): ${r.stderr}`);
    return (JSON.parse(r.stdout) as CarbonStatus).current;
  };
  /** Publishes, then waits until the daemon has said `said` about it (one more time than before). */
  const publishSaying = async (payload: unknown, said: RegExp): Promise<void> => {
    const count = (): number => daemon.output().split('\n').filter((l) => said.test(l)).length;
    const before = count();
    await site.publishAsync(TOPIC, JSON.stringify(payload), { qos: 1 });
    await waitFor(() => count() > before, 20_000, `the daemon to log ${said}`);
  };

  // The daemon subscribes once connected: publish until a plain value arrives.
  for (const until = Date.now() + 20_000; (await carbon()).status !== 'live'; await new Promise((r) => setTimeout(r, 200))) {
    if (Date.now() > until) throw new Error('the daemon never took a value from the topic');
    await site.publishAsync(TOPIC, '300', { qos: 1 });
  }
  // Without scheduler.carbon.mqttKeyFile any reading is taken, and the start says so.
  t.match(daemon.output(), /WARN .*carbon readings are not signed: any client allowed to publish on earshot\/grid\/intensity sets the intensity/, 'the start said that readings are not signed (scheduler.carbon.mqttKeyFile is null)');

  await publishSaying({ gPerKWh: 120, at: '2099-01-01T00:00:00Z' }, /WARN .*carbon intensity message ignored .*2099-01-01.* min ahead of this box.s clock/);
  t.match(await carbon(), { gPerKWh: 300, status: 'last-good', note: /min ahead of this box's clock/ }, 'a reading from 2099 is refused, not held live for ever');

  await site.publishAsync(TOPIC, '80', { qos: 1 });
  let now = await carbon();
  for (const until = Date.now() + 20_000; now.gPerKWh !== 80 && Date.now() < until; await new Promise((r) => setTimeout(r, 200))) now = await carbon();
  t.match(now, { gPerKWh: 80, status: 'live' }, 'a good value after it is live');

  await publishSaying({ gPerKWh: 90, at: '2020-01-01T00:00:00Z' }, /WARN .*carbon intensity message ignored: older than the value held .*at=2020-01-01T00:00:00.000Z/);
  t.match(await carbon(), { gPerKWh: 80, status: 'live' }, 'a reading from 2020 does not replace the fresher 80');

  // A clock a minute or two ahead is within the skew allowed: taken, as read now.
  const slightlyAhead = new Date(Date.now() + 2 * 60_000).toISOString();
  await site.publishAsync(TOPIC, JSON.stringify({ gPerKWh: 70, at: slightlyAhead }), { qos: 1 });
  for (const until = Date.now() + 20_000; now.gPerKWh !== 70 && Date.now() < until; await new Promise((r) => setTimeout(r, 200))) now = await carbon();
  t.match(now, { gPerKWh: 70, status: 'live' });
  t.ok(Date.parse(now.at) <= Date.now(), `its time is taken as now, not ${slightlyAhead}: ${now.at}`);
});
