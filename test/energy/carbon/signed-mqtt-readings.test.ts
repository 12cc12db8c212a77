import t from 'tap';
import mqtt from 'mqtt';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Mosquitto } from '../../helpers/mosquitto.js';
import { launchDaemon, runCli, startDaemon, waitFor, type RunningDaemon } from '../../helpers/daemon-process.js';
import { tempDir } from '../../helpers/paths.js';
import type { CarbonStatus } from '../../../daemon/energy/carbon/carbon-status.js';
import { signCarbonReading, type CarbonReadingFields } from '../../../daemon/energy/carbon/signed-reading.js';
import { signCommand } from '../../../daemon/mqtt/commands/signature.js';
import { fleetKeyOf, sealFleetMessage } from '../../../daemon/mqtt/fleet/fleet-signature.js';

const TOPIC = 'site-a/grid/intensity';
const KEY = Buffer.from('site-a carbon key, 48 bytes long, for tests....');
const OTHER_KEY = Buffer.from('another site carbon key, 48 bytes, for tests..');

/** A key file as the daemon wants it: the daemon's user's, mode 600. */
function keyFile(key: Buffer, mode = 0o600): string {
  const file = join(tempDir('carbon-key-'), 'carbon.key');
  writeFileSync(file, `${key.toString()}\n`, { mode });
  return file;
}

/** What `earshot carbon` says the daemon holds now. */
async function carbonNow(daemon: RunningDaemon): Promise<CarbonStatus['current']> {
  const r = await runCli(['carbon', '--json', '--socket', daemon.socket]);
  if (r.code !== 0) throw new Error(`earshot carbon failed (${r.code}): ${r.stderr}`);
  return (JSON.parse(r.stdout) as CarbonStatus).current;
}

async function carbonUntil(daemon: RunningDaemon, want: (c: CarbonStatus['current']) => boolean, what: string): Promise<CarbonStatus['current']> {
  for (const end = Date.now() + 20_000; ; await new Promise((r) => setTimeout(r, 200))) {
    const c = await carbonNow(daemon);
    if (want(c)) return c;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; carbon: ${JSON.stringify(c)}`);
  }
}

t.test('with scheduler.carbon.mqttKeyFile only fresh readings signed for the topic are taken; the rest change nothing and are said', async (t) => {
  const broker = await new Mosquitto({ persistence: false }).start();
  t.teardown(() => broker.stop());
  const file = keyFile(KEY);
  const site = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  t.teardown(() => site.endAsync(true));

  // Published (retained) before the daemon starts, by the CLI: a restarted box takes it.
  const signedByCli = await runCli(['carbon', 'sign', '300', '--key-file', file, '--topic', TOPIC]);
  t.equal(signedByCli.code, 0, signedByCli.stderr);
  await site.publishAsync(TOPIC, signedByCli.stdout.trim(), { qos: 1, retain: true });

  const daemon = await startDaemon({
    mqtt: { url: broker.url, telemetryIntervalSec: 0 },
    scheduler: { carbon: { source: 'mqtt', mqttTopic: TOPIC, mqttKeyFile: file, maxAgeMinutes: 30 } },
  });
  t.teardown(() => {
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  });
  const carbon = () => carbonNow(daemon);
  const until = (want: (c: CarbonStatus['current']) => boolean, what: string) => carbonUntil(daemon, want, what);
  const refusals = (): number => daemon.output().split('\n').filter((l) => /WARN .*carbon intensity message ignored/.test(l)).length;
  /** Publishes, waits for the daemon to refuse it, and says what it holds then. */
  const refused = async (payload: unknown, why: RegExp): Promise<CarbonStatus['current']> => {
    const before = refusals();
    await site.publishAsync(TOPIC, typeof payload === 'string' ? payload : JSON.stringify(payload), { qos: 1 });
    await waitFor(() => refusals() > before, 20_000, `the daemon to refuse ${JSON.stringify(payload)}`);
    const lines = daemon.output().split('\n').filter((l) => /WARN .*carbon intensity message ignored/.test(l));
    t.match(lines[lines.length - 1], why, `the log says why: ${why}`);
    return carbon();
  };
  const sign = (reading: CarbonReadingFields, options: { key?: Buffer; topic?: string; now?: number } = {}) =>
    signCarbonReading(options.key ?? KEY, options.topic ?? TOPIC, reading, options.now === undefined ? {} : { now: options.now });

  t.match(await until((c) => c.status === 'live', 'the retained signed reading'), { gPerKWh: 300, status: 'live' }, 'the signed reading retained before the start is taken');

  t.notMatch(daemon.output(), /carbon readings are not signed/, 'no warning that readings are not signed');
  const held = { gPerKWh: 300 };
  const notSigned = /not signed \(scheduler\.carbon\.mqttKeyFile is set/;
  t.match(await refused('80', notSigned), { ...held, status: 'last-good', note: notSigned }, 'a bare number is refused, and earshot carbon says why');
  t.match(await refused({ gPerKWh: 80 }, notSigned), held, 'unsigned JSON is refused');
  const mismatch = /signature does not match \(another key, signed for another topic than site-a\/grid\/intensity/;
  t.match(await refused(sign({ gPerKWh: 80 }, { key: OTHER_KEY }), mismatch), { ...held, note: mismatch }, 'signed with another key: refused');
  t.match(await refused(sign({ gPerKWh: 80 }, { topic: 'site-b/grid/intensity' }), mismatch), held, "signed for another site's topic: refused");
  t.match(await refused({ ...sign({ gPerKWh: 300 }), gPerKWh: 80 }, mismatch), held, 'a signed reading changed on the way: refused');
  // The same key signing for commands or a fleet group (named as the topic) does not make a reading.
  t.match(await refused(sealFleetMessage(fleetKeyOf({ group: TOPIC, key: KEY }), 'status', { gPerKWh: 80, ts: Date.now(), nonce: 'fleet-nonce-0000000001' }), mismatch), held, 'a fleet signature: refused');
  t.match(await refused(signCommand(KEY, TOPIC, 'carbon', { gPerKWh: 80 }), /does not match schemas\/carbon-reading\.schema\.json/), held, 'a signed command: refused');
  t.match(await refused(sign({ gPerKWh: 80 }, { now: Date.now() - 31 * 60_000 }), /more than 30 min ago \(scheduler\.carbon\.maxAgeMinutes\): too old/), held, 'signed longer ago than maxAgeMinutes: refused');
  t.match(await refused(sign({ gPerKWh: 80 }, { now: Date.now() + 10 * 60_000 }), /min ahead of this box's clock \(more than 5 min\)/), held, 'signed 10 min ahead: refused');

  const first = sign({ gPerKWh: 210 });
  await site.publishAsync(TOPIC, JSON.stringify(first), { qos: 1 });
  t.match(await until((c) => c.gPerKWh === 210, 'a fresh signed reading'), { gPerKWh: 210, status: 'live' }, 'a fresh signed reading is taken, live again');
  t.equal((await carbon()).note, undefined, 'and the refusal is no longer shown');
  await site.publishAsync(TOPIC, JSON.stringify(sign({ gPerKWh: 220 })), { qos: 1 });
  await until((c) => c.gPerKWh === 220, 'the next signed reading');
  // The first reading sent again (replayed, or a retained one at reconnect): taken once, it is
  // let go quietly and changes nothing.
  const seenBefore = (): number => daemon.output().split('\n').filter((l) => /carbon intensity message seen before/.test(l)).length;
  const seen = seenBefore();
  await site.publishAsync(TOPIC, JSON.stringify(first), { qos: 1 });
  await waitFor(() => seenBefore() > seen, 20_000, 'the daemon to let the first reading go');
  t.match(await carbon(), { gPerKWh: 220, status: 'live', note: undefined }, 'the first reading sent again changes nothing, and is not shown as refused');

  // A reading signed two minutes ahead (the publisher's clock a little fast) is taken, as read now.
  await site.publishAsync(TOPIC, JSON.stringify(sign({ gPerKWh: 230 }, { now: Date.now() + 2 * 60_000 })), { qos: 1 });
  const ahead = await until((c) => c.gPerKWh === 230, 'a reading signed 2 min ahead');
  t.ok(Date.parse(ahead.at) <= Date.now(), `its time is taken as now at most: ${ahead.at}`);
});

t.test('a retained signed reading the broker sends again at reconnect is not taken for a replay', async (t) => {
  const broker = await new Mosquitto({ persistence: false }).start();
  t.teardown(() => broker.stop());
  const file = keyFile(KEY);
  const site = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  await site.publishAsync(TOPIC, JSON.stringify(signCarbonReading(KEY, TOPIC, { gPerKWh: 140 })), { qos: 1, retain: true });
  await site.endAsync();
  const daemon = await startDaemon({
    mqtt: { url: broker.url, telemetryIntervalSec: 0 },
    scheduler: { carbon: { source: 'mqtt', mqttTopic: TOPIC, mqttKeyFile: file } },
  });
  t.teardown(() => {
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  });
  await carbonUntil(daemon, (c) => c.gPerKWh === 140 && c.status === 'live', 'the retained reading');
  // A client taking the daemon's client id with a clean session ends the daemon's session:
  // the daemon connects again, subscribes again, and the broker sends the retained reading again.
  const takeover = await mqtt.connectAsync(broker.url, { clientId: 'earshot-test-site', clean: true, reconnectPeriod: 0 });
  await takeover.endAsync();
  await waitFor(() => /carbon intensity message (seen before|ignored)/.test(daemon.output()), 30_000, 'the retained reading to come again');
  t.match(await carbonNow(daemon), { gPerKWh: 140, status: 'live', note: undefined }, 'still live, nothing refused');
  t.notMatch(daemon.output(), /carbon intensity message ignored/, 'no warning');
});

t.test('a carbon key file others may read: the daemon refuses to start (exit 78), naming scheduler.carbon.mqttKeyFile', async (t) => {
  const broker = await new Mosquitto({ persistence: false }).start();
  t.teardown(() => broker.stop());
  const daemon = launchDaemon({
    mqtt: { url: broker.url, telemetryIntervalSec: 0 },
    scheduler: { carbon: { source: 'mqtt', mqttTopic: TOPIC, mqttKeyFile: keyFile(KEY, 0o644) } },
  });
  t.equal(await daemon.exited, 78, 'exit 78 (EX_CONFIG: systemd does not restart into the same error)');
  t.match(daemon.output(), /scheduler\.carbon\.mqttKeyFile .*carbon\.key is readable by others \(mode 0644\); run: chmod 600/);
});
