import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import MqttTest from '../../daemon/cli/commands/mqtt/test.js';
import Outbox from '../../daemon/cli/commands/outbox.js';
import MqttCall from '../../daemon/cli/commands/mqtt/call.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { SCHEDULER_METHOD_PARAMS } from '../../daemon/scheduler/control-handlers.js';
import { MqttService } from '../../daemon/mqtt/mqtt-service.js';
import { mqttTestConfig } from './helpers/config.js';
import { chmodSync } from 'node:fs';
import type { ConnectionCheckResult } from '../../daemon/mqtt/connection-check.js';
import type { OutboxStats } from '../../daemon/mqtt/outbox/outbox-stats.js';
import { OutboxStore } from '../../daemon/mqtt/outbox/outbox-store.js';
import { EmbeddedBroker } from '../../daemon/mqtt/broker/embedded-broker.js';
import { silentLogger } from '../../daemon/log/logger.js';
import { repoRoot, tempDir } from '../helpers/paths.js';
import { freePort } from '../helpers/mosquitto.js';

/** Runs a command in-process, capturing stdout and stderr. */
async function capture<T>(fn: () => Promise<T>): Promise<{ value: T; stdout: string; stderr: string }> {
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  let stdout = '';
  let stderr = '';
  process.stdout.write = ((c: string | Uint8Array) => ((stdout += c.toString()), true)) as typeof process.stdout.write;
  process.stderr.write = ((c: string | Uint8Array) => ((stderr += c.toString()), true)) as typeof process.stderr.write;
  try {
    return { value: await fn(), stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

function writeConfig(body: object): string {
  const file = join(tempDir(), 'config.json');
  writeFileSync(file, JSON.stringify(body));
  return file;
}

t.test('earshot mqtt test: passes against the embedded broker address, names TCP when nothing listens', async (t) => {
  const broker = new EmbeddedBroker({ host: '127.0.0.1', port: 0, passwordFile: null, siteId: 'test', logger: silentLogger });
  const { port } = await broker.start();
  t.teardown(() => broker.stop());
  const config = writeConfig({ siteId: 'cli-1', mqtt: { url: null, embedded: { host: '127.0.0.1', port } } });

  const ok = await capture(() => MqttTest.run(['--config', config], repoRoot));
  const result = ok.value as unknown as ConnectionCheckResult;
  t.equal(result.ok, true);
  t.match(ok.stdout, new RegExp(`broker mqtt://127\\.0\\.0\\.1:${port}`));
  t.match(ok.stdout, /ok {3}mqtt .*MQTT 3\.1\.1 CONNECT accepted/);
  t.equal(process.exitCode ?? 0, 0);

  const dead = await freePort();
  const bad = await capture(() => MqttTest.run(['--config', config, '--url', `mqtt://127.0.0.1:${dead}`, '--json'], repoRoot));
  const failed = bad.value as unknown as ConnectionCheckResult;
  t.equal(failed.ok, false);
  t.equal(failed.failure?.layer, 'tcp');
  t.equal(process.exitCode, 1);
  t.match(JSON.parse(bad.stdout), { ok: false, failure: { layer: 'tcp' } });
  process.exitCode = 0;

  await t.rejects(capture(() => MqttTest.run(['--config', writeConfig({ mqtt: { url: 'http://x' } })], repoRoot)), /invalid configuration [\s\S]*mqtt\.url: must match pattern/);
  process.exitCode = 0;
});

t.test('earshot outbox: depth, oldest, bytes and drops read from the directory', async (t) => {
  const dataDir = tempDir();
  const store = new OutboxStore({ dir: join(dataDir, 'outbox'), maxBytes: 300, maxAgeMs: 0, logger: silentLogger });
  await store.open();
  for (let i = 0; i < 5; i++) await store.append({ id: `t-${i}`, topic: 'earshot/s/transcript/m', payload: JSON.stringify({ i, pad: 'x'.repeat(80) }), qos: 1, retain: false });
  await store.close();

  const config = writeConfig({ dataDir });
  const run = await capture(() => Outbox.run(['--config', config], repoRoot));
  const stats = run.value as unknown as OutboxStats;
  t.equal(stats.depth, 3, '300-byte bound kept three');
  t.equal(stats.oldest?.id, 't-2');
  t.equal(stats.drops.count, 2);
  t.match(run.stdout, /depth {3}3 transcript\(s\) waiting/);
  t.match(run.stdout, /drops {3}2 \(\d+ bytes; max-bytes: 2; last /);

  const json = await capture(() => Outbox.run(['--data-dir', tempDir(), '--json'], repoRoot));
  t.match(JSON.parse(json.stdout), { depth: 0, bytes: 0, oldest: null, drops: { count: 0 } }, 'a missing outbox is empty');
});

t.test('earshot outbox: drop counters a newer release wrote are named, with what to do', async (t) => {
  const dataDir = tempDir();
  mkdirSync(join(dataDir, 'outbox'));
  writeFileSync(join(dataDir, 'outbox', 'drops.json'), '{"format":2,"count":{"max-bytes":2}}');
  const err = await t.rejects(capture(() => Outbox.run(['--data-dir', dataDir], repoRoot)));
  t.match(String(err), `${join(dataDir, 'outbox', 'drops.json')} is in format 2, written by a newer earshotd`);
  t.match(err, { suggestions: ['run the newer earshot that wrote it'] }, 'not a permissions hint');
});

t.test('earshot mqtt call runs a method on a remote site; a wrong key gets no answer, and the timeout names the likely causes', async (t) => {
  const dir = tempDir();
  const key = join(dir, 'cmd.key');
  writeFileSync(key, 'cli-shared-key-000000000000000000000000\n', { mode: 0o600 });
  const service = new MqttService({
    config: mqttTestConfig({ embedded: { port: 0 }, commands: { enabled: true, keyFile: key }, telemetryIntervalSec: 0 }),
    siteId: 'remote-1',
    version: '0.0.0-test',
    logger: silentLogger,
    dataDir: tempDir(),
  });
  service.onCommand(async (verb, params) => ({ verb, params, site: 'remote-1' }));
  await service.start();
  t.teardown(() => service.stop());
  const broker = service.embeddedBrokerAddress()!.url;
  const config = writeConfig({});

  const ok = await capture(() => MqttCall.run(['status', '--site', 'remote-1', '--broker', broker, '--key-file', key, '--params', '{"verbose":true}', '--config', config, '--json'], repoRoot));
  t.same(JSON.parse(ok.stdout), { verb: 'status', params: { verbose: true }, site: 'remote-1' });

  const wrong = join(dir, 'wrong.key');
  writeFileSync(wrong, 'not-the-shared-key-00000000000000000000\n', { mode: 0o600 });
  await t.rejects(capture(() => MqttCall.run(['status', '--site', 'remote-1', '--broker', broker, '--key-file', wrong, '--config', config, '--timeout', '500'], repoRoot)), {
    message: /no reply from site remote-1 within 500 ms[^]*the key \(--key-file\) differs from the site's mqtt\.commands\.keyFile/,
    oclif: { exit: 1 },
  });
  chmodSync(wrong, 0o644);
  await t.rejects(capture(() => MqttCall.run(['status', '--site', 'remote-1', '--broker', broker, '--key-file', wrong, '--config', config], repoRoot)), /readable by others \(mode 0644\)/);
  await t.rejects(capture(() => MqttCall.run(['status', '--site', 'remote-1', '--key-file', key, '--params', '[1]', '--config', config], repoRoot)), /--params must be a JSON object/);
});

t.test('earshot mqtt test: an embedded broker on port 0 (any free port) is not tested at port 0, and says why', async (t) => {
  const config = writeConfig({ siteId: 'cli-0', mqtt: { url: null, embedded: { host: '127.0.0.1', port: 0 } } });
  await t.rejects(capture(() => MqttTest.run(['--config', config], repoRoot)), /mqtt\.embedded\.port is 0 \(any free port\): the port is only known to the running daemon/);
  process.exitCode = 0;
});

t.test("earshot mqtt call's examples pass params their method accepts", async (t) => {
  const ajv = new Ajv2020({ allErrors: true });
  const examples = MqttCall.examples.map(String).flatMap((e) => {
    const m = /mqtt call (\S+) .*--params '([^']*)'/.exec(e);
    return m ? [{ method: m[1]!, params: JSON.parse(m[2]!) as unknown }] : [];
  });
  t.ok(examples.length > 0, 'some example passes --params');
  for (const { method, params } of examples) {
    const schema = SCHEDULER_METHOD_PARAMS[method];
    t.ok(schema, `${method} is a method with params`);
    const validate = ajv.compile(schema!);
    t.ok(validate(params), `${method} ${JSON.stringify(params)}: ${ajv.errorsText(validate.errors)}`);
  }
});
