import t from 'tap';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { fuzzFor, mutate, prng } from '../helpers/mutate.js';
import { tempDir } from '../helpers/paths.js';
import { waitFor } from '../helpers/daemon-process.js';
import { MqttService } from '../../daemon/mqtt/mqtt-service.js';
import { silentLogger } from '../../daemon/log/logger.js';
import { canonicalJson, signCommand } from '../../daemon/mqtt/commands/signature.js';
import { validateConfig } from '../../daemon/config/load.js';
import type { MqttConfig } from '../../daemon/mqtt/config.js';

/** Seconds of fuzzing; CI keeps it short, `FUZZ_SECONDS=600` runs longer. */
const SECONDS = Number(process.env.FUZZ_SECONDS ?? 3);
const KEY = 'fuzz-shared-key-0123456789-abcdefghijkl';

/**
 * Remote commands are the one parser an attacker on the broker can reach. Mutated signed
 * commands go over a real broker to a real MqttService: every message is accounted for
 * (accepted or refused with a reason), nothing throws, and the dispatcher only ever runs a
 * command exactly as it was signed — at most once per signature (no replay).
 */
t.test('mutated signed MQTT commands are refused or run exactly as signed, each at most once', async (t) => {
  const keyFile = join(tempDir(), 'cmd.key');
  writeFileSync(keyFile, KEY);
  chmodSync(keyFile, 0o600);
  const config = validateConfig({ mqtt: { embedded: { port: 0 }, commands: { enabled: true, keyFile, maxSkewSec: 600 }, telemetryIntervalSec: 0 } }, 'fuzz').mqtt as unknown as MqttConfig;
  const service = new MqttService({ config, siteId: 'fuzz', version: '0.0.0-fuzz', logger: silentLogger, dataDir: tempDir() });
  const dispatched: string[] = [];
  service.onCommand(async (verb, params) => {
    dispatched.push(`${verb} ${canonicalJson(params)}`);
    return { ok: true };
  });
  await service.start();
  t.teardown(() => service.stop());
  const pub = await mqtt.connectAsync(service.embeddedBrokerAddress()!.url);
  t.teardown(() => pub.endAsync(true));

  const signedAs = new Map<string, string>();
  let sent = 0;
  const n = await fuzzFor(SECONDS, 300, async (seed) => {
    const rand = prng(seed);
    const verb = ['jobs.submit', 'budget.set', 'status'][seed % 3]!;
    const params = verb === 'jobs.submit' ? { paths: [`/srv/rec-${seed}.wav`], id: `job-${seed}` } : verb === 'budget.set' ? { powerBudgetWatts: seed } : { case: seed };
    const cmd = signCommand(Buffer.from(KEY), 'fuzz', verb, params);
    signedAs.set(cmd.sig, `${verb} ${canonicalJson(params)}`);
    // Params differ per case, so a command that ran twice shows as a repeated line.
    // Half byte-level mutations, half the untouched command (which must then run once).
    const body = seed % 2 === 0 ? mutate(Buffer.from(JSON.stringify(cmd)), rand) : Buffer.from(JSON.stringify(cmd));
    await pub.publishAsync(`earshot/fuzz/cmd/${verb}`, body, { qos: 1 });
    sent++;
    // The same bytes again: a replay, to be refused.
    if (seed % 7 === 1) {
      await pub.publishAsync(`earshot/fuzz/cmd/${verb}`, body, { qos: 1 });
      sent++;
    }
  });
  const handled = () => {
    const s = service.state().commands!;
    return s.accepted + Object.values(s.rejected).reduce((a, b) => a + b, 0);
  };
  await waitFor(() => handled() >= sent, 20_000, `all ${sent} commands handled (have ${handled()})`);
  const stats = service.state().commands!;
  t.comment(`${n} cases, ${sent} messages: ${JSON.stringify(stats)}`);
  t.equal(handled(), sent, 'every message was accepted or refused with a reason');
  t.equal(stats.accepted, dispatched.length, 'what was accepted is what ran');
  t.ok(stats.rejected.replayed > 0 && stats.rejected.malformed > 0, 'replays and malformed payloads were among the refusals');
  const signed = new Set(signedAs.values());
  for (const d of dispatched) if (!signed.has(d)) t.fail(`ran a command nobody signed: ${d}`);
  t.equal(new Set(dispatched).size, dispatched.length, 'no signed command ran twice');
  t.ok(dispatched.length >= Math.floor(n / 2), 'every untouched command ran');
});
