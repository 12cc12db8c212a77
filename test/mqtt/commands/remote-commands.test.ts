import t, { type Test } from 'tap';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { MqttService } from '../../../daemon/mqtt/mqtt-service.js';
import { ControlServer } from '../../../daemon/control/server.js';
import { LogSink, silentLogger } from '../../../daemon/log/logger.js';
import { signCommand } from '../../../daemon/mqtt/commands/signature.js';
import { callRemote } from '../../../daemon/mqtt/commands/remote-client.js';
import type { ReplyPayload } from '../../../daemon/mqtt/payloads/command.js';
import { payloadErrors } from '../../../daemon/mqtt/payload-schemas.js';
import { tempDir } from '../../helpers/paths.js';
import { mqttTestConfig } from '../helpers/config.js';
import { TestSubscriber } from '../helpers/subscriber.js';

const KEY = 'test-shared-key-0123456789-abcdefghij';

function keyFile(mode = 0o600, body = KEY): string {
  const f = join(tempDir(), 'cmd.key');
  writeFileSync(f, body + '\n');
  chmodSync(f, mode);
  return f;
}

/** A daemon with a real control API holding one piece of state a command can change. */
async function daemon(t: Test, enabled: boolean) {
  const lines: string[] = [];
  const logs = new LogSink({ level: 'info', format: 'text', write: (l) => lines.push(l), syslogPrefix: false });
  const control = new ControlServer({ config: { socket: '/nonexistent/unused.sock', mode: '0660', maxRequestBytes: 1 << 20, requestTimeoutMs: 5000, maxConnections: 64 }, logger: silentLogger });
  const budget = { watts: 10 };
  control.registerUntyped('budget.set', {
    params: { type: 'object', required: ['watts'], properties: { watts: { type: 'number', minimum: 1 } } },
    handler: (p) => {
      budget.watts = (p as { watts: number }).watts;
      return { ...budget };
    },
  });
  const service = new MqttService({
    config: mqttTestConfig({ embedded: { port: 0 }, commands: { enabled, keyFile: keyFile(), maxSkewSec: 30 }, telemetryIntervalSec: 0 }),
    siteId: 'lab-cmd',
    version: '0.0.0-test',
    logger: logs.logger('mqtt'),
    dataDir: tempDir(),
  });
  service.onCommand(async (verb, params) => {
    const r = await control.dispatch({ id: 1, method: verb, params });
    if (r.status === 'error') throw Object.assign(new Error(r.error.message), { code: r.error.code });
    return r.data;
  });
  await service.start();
  t.teardown(() => service.stop());
  const url = service.embeddedBrokerAddress()!.url;
  const remote = { config: mqttTestConfig({ protocolVersion: 4 }), brokerUrl: url, siteId: 'lab-cmd', timeoutMs: 3000 };
  return { service, budget, lines, url, remote };
}

t.test('a signed command runs through the control API and is answered', async (t) => {
  const d = await daemon(t, true);
  const data = await callRemote('budget.set', { watts: 20 }, { ...d.remote, key: Buffer.from(KEY) });
  t.same(data, { watts: 20 });
  t.equal(d.budget.watts, 20);
  // Control-API validation errors come back as error replies with the control code.
  await t.rejects(callRemote('budget.set', { watts: 0 }, { ...d.remote, key: Buffer.from(KEY) }), { code: 'invalid_params', message: /site lab-cmd refused "budget\.set": invalid_params/ });
  await t.rejects(callRemote('no.such', {}, { ...d.remote, key: Buffer.from(KEY) }), { code: 'unknown_method' });
  t.equal(d.budget.watts, 20);
  t.match(d.service.state().commands, { accepted: 3 });
});

t.test('unsigned, wrongly signed, replayed, stale and cross-site commands change nothing and are logged', async (t) => {
  const d = await daemon(t, true);
  const sub = await TestSubscriber.connect(d.url, 'earshot/lab-cmd/reply/+');
  t.teardown(() => sub.close());
  const pub = await mqtt.connectAsync(d.url);
  t.teardown(() => pub.endAsync(true));
  const send = (verb: string, body: unknown) => pub.publishAsync(`earshot/lab-cmd/cmd/${verb}`, typeof body === 'string' ? body : JSON.stringify(body), { qos: 1 });
  const replyFor = async (requestId: string) => {
    await sub.waitFor((m) => m.some((x) => x.topic.endsWith(`/reply/${requestId}`)), 3000, `reply to ${requestId}`);
    const r = sub.messages.find((x) => x.topic.endsWith(`/reply/${requestId}`))!.json<ReplyPayload>();
    t.same(payloadErrors('reply', r), [], 'reply validates');
    return r;
  };
  const key = Buffer.from(KEY);

  // A good one first, kept for the replay below.
  const good = signCommand(key, 'lab-cmd', 'budget.set', { watts: 20 }, { requestId: 'good-000001' });
  await send('budget.set', good);
  t.match(await replyFor('good-000001'), { status: 'ok', data: { watts: 20 } });
  const legit = signCommand(key, 'lab-cmd', 'budget.set', { watts: 30 }, { requestId: 'good-000002' });
  await send('budget.set', legit);
  await replyFor('good-000002');
  t.equal(d.budget.watts, 30);

  const { sig: _sig, ...unsigned } = signCommand(key, 'lab-cmd', 'budget.set', { watts: 1 }, { requestId: 'unsigned-01' });
  await send('budget.set', unsigned);
  t.match(await replyFor('unsigned-01'), { status: 'error', error: { code: 'malformed' } });

  const wrongKey = signCommand(Buffer.from('an-attacker-guess-000000000000000000'), 'lab-cmd', 'budget.set', { watts: 2 }, { requestId: 'wrongkey-01' });
  await send('budget.set', wrongKey);
  t.match(await replyFor('wrongkey-01'), { status: 'error', error: { code: 'unauthorized' } });

  const tampered = { ...signCommand(key, 'lab-cmd', 'budget.set', { watts: 25 }, { requestId: 'tamper-0001' }), params: { watts: 3 } };
  await send('budget.set', tampered);
  t.match(await replyFor('tamper-0001'), { status: 'error', error: { code: 'unauthorized' } });

  const otherSite = signCommand(key, 'lab-other', 'budget.set', { watts: 4 }, { requestId: 'othersite-1' });
  await send('budget.set', otherSite);
  t.match(await replyFor('othersite-1'), { status: 'error', error: { code: 'unauthorized' } });

  const stale = signCommand(key, 'lab-cmd', 'budget.set', { watts: 5 }, { requestId: 'stale-00001', now: Date.now() - 10 * 60_000 });
  await send('budget.set', stale);
  t.match(await replyFor('stale-00001'), { status: 'error', error: { code: 'stale' } });

  // The exact bytes of the first good command, again.
  sub.messages.length = 0;
  await send('budget.set', good);
  t.match(await replyFor('good-000001'), { status: 'error', error: { code: 'replayed' } });

  await send('budget.set', 'not json at all');
  await sub.waitFor(() => d.lines.some((l) => l.includes('payload is not JSON')), 3000, 'log of the non-JSON command');

  t.equal(d.budget.watts, 30, 'nothing changed the state');
  const stats = d.service.state().commands!;
  t.same(stats, { accepted: 2, rejected: { malformed: 2, unauthorized: 3, stale: 1, replayed: 1 } });
  const log = d.lines.join('\n');
  for (const reason of ['malformed', 'unauthorized', 'stale', 'replayed']) t.match(log, new RegExp(`WARN  earshot:mqtt:cmd remote command refused \\(${reason}\\)`), `${reason} is logged`);
  t.match(log, /refused \(replayed\): nonce .* was already used/);
  t.notMatch(log, new RegExp(KEY), 'the key never appears in the log');
});

t.test('commands are off by default: a signed command gets no reply and changes nothing', async (t) => {
  const d = await daemon(t, false);
  t.equal(d.service.state().commands, null);
  await t.rejects(callRemote('budget.set', { watts: 99 }, { ...d.remote, key: Buffer.from(KEY), timeoutMs: 600 }), { code: 'timeout' });
  t.equal(d.budget.watts, 10);
});

t.test('a key file readable by others, too short, or missing stops the daemon from enabling commands', async (t) => {
  const start = (file: string | null) =>
    new MqttService({ config: mqttTestConfig({ embedded: { port: 0 }, commands: { enabled: true, keyFile: file } }), siteId: 's', version: '0', logger: silentLogger, dataDir: tempDir() }).start();
  await t.rejects(start(keyFile(0o644)), /mqtt\.commands\.keyFile .* is readable by others \(mode 0644\); run: chmod 600/);
  await t.rejects(start(keyFile(0o600, 'short')), /holds 5 bytes; use at least 32/);
  await t.rejects(start(join(tempDir(), 'nope.key')), /does not exist; create it with/);
  await t.rejects(start(null), /mqtt\.commands\.keyFile is null/);
});
