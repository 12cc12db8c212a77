import t, { type Test } from 'tap';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { MqttService } from '../../../daemon/mqtt/mqtt-service.js';
import { ControlServer } from '../../../daemon/control/server.js';
import { LogSink, silentLogger } from '../../../daemon/log/logger.js';
import { replySignatureValid, signCommand, signReply } from '../../../daemon/mqtt/commands/signature.js';
import { callRemote } from '../../../daemon/mqtt/commands/remote-client.js';
import type { ReplyPayload } from '../../../daemon/mqtt/payloads/command.js';
import { payloadErrors } from '../../../daemon/mqtt/payload-schemas.js';
import { WARNING_BURST, WARNINGS_PER_SECOND } from '../../../daemon/log/throttled-warnings.js';
import { tempDir } from '../../helpers/paths.js';
import { waitFor } from '../../helpers/daemon-process.js';
import { mqttTestConfig } from '../helpers/config.js';
import { TestSubscriber } from '../helpers/subscriber.js';
import { Mosquitto } from '../../helpers/mosquitto.js';

const KEY = 'test-shared-key-0123456789-abcdefghij';

function keyFile(mode = 0o600, body = KEY): string {
  const f = join(tempDir(), 'cmd.key');
  writeFileSync(f, body + '\n');
  chmodSync(f, mode);
  return f;
}

/** A daemon with a real control API holding one piece of state a command can change; on its embedded broker unless given another. */
async function daemon(t: Test, enabled: boolean, brokerUrl?: string, commands: { maxBytes?: number } = {}) {
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
    config: mqttTestConfig({ ...(brokerUrl ? { url: brokerUrl } : { embedded: { port: 0 } }), commands: { enabled, keyFile: keyFile(), maxSkewSec: 30, ...commands }, telemetryIntervalSec: 0 }),
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
  const url = brokerUrl ?? service.embeddedBrokerAddress()!.url;
  const remote = { config: mqttTestConfig({ protocolVersion: 4 }), brokerUrl: url, siteId: 'lab-cmd', timeoutMs: 3000 };
  return { service, control, budget, lines, url, remote };
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

/** A client on the broker that sends whatever it is given to `cmd/<verb>` of the test site. */
async function sender(t: Test, url: string) {
  const pub = await mqtt.connectAsync(url);
  t.teardown(() => pub.endAsync(true));
  return (verb: string, body: unknown) => pub.publishAsync(`earshot/lab-cmd/cmd/${verb}`, typeof body === 'string' ? body : JSON.stringify(body), { qos: 1 });
}

/** Commands the daemon has accepted or refused so far. */
function handled(d: { service: MqttService }): number {
  const s = d.service.state().commands!;
  return s.accepted + Object.values(s.rejected).reduce((a, b) => a + b, 0);
}

t.test('every error a command can meet is answered with a code the reply schema lists', async (t) => {
  const d = await daemon(t, true);
  const sub = await TestSubscriber.connect(d.url, 'earshot/lab-cmd/reply/+');
  t.teardown(() => sub.close());
  const key = Buffer.from(KEY);
  const calls: Array<[string, Record<string, unknown>, string]> = [
    ['no.such', {}, 'unknown_method'],
    ['budget.set', { watts: 'many' }, 'invalid_params'],
  ];
  for (const [verb, params, code] of calls) await t.rejects(callRemote(verb, params, { ...d.remote, key }), { code }, `${verb}: ${code}`);
  await sub.waitFor((m) => m.length === calls.length, 3000, 'both replies');
  for (const m of sub.messages) t.same(payloadErrors('reply', m.json()), [], `${m.json<ReplyPayload>().status} reply validates`);
  for (const m of sub.messages) t.ok(/^[0-9a-f]{64}$/.test(m.json<ReplyPayload>().sig ?? ''), `${m.json<ReplyPayload>().status} reply is signed`);

  // A dispatcher error that carries no control code (a Node errno code here) is "failed".
  const bare = new MqttService({ config: mqttTestConfig({ embedded: { port: 0 }, commands: { enabled: true, keyFile: keyFile(), maxSkewSec: 30 }, telemetryIntervalSec: 0 }), siteId: 'lab-cmd', version: '0', logger: silentLogger, dataDir: tempDir() });
  bare.onCommand(async () => {
    throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
  });
  await bare.start();
  t.teardown(() => bare.stop());
  await t.rejects(callRemote('status', {}, { ...d.remote, brokerUrl: bare.embeddedBrokerAddress()!.url, key }), { code: 'failed', message: /no space left on device/ });
});

t.test("an answer over the broker's packet limit (a long jobs list) comes back as too_large, saying why, not as a timeout", async (t) => {
  const key = Buffer.from(KEY);
  const big = new MqttService({ config: mqttTestConfig({ embedded: { port: 0, maxPacketBytes: 64 * 1024 }, commands: { enabled: true, keyFile: keyFile(), maxSkewSec: 30 }, telemetryIntervalSec: 0 }), siteId: 'lab-cmd', version: '0', logger: silentLogger, dataDir: tempDir() });
  big.onCommand(async () => ({ jobs: Array.from({ length: 2000 }, (_, i) => ({ id: `f-${String(i).padStart(24, '0')}`, state: 'done' })) }));
  await big.start();
  t.teardown(() => big.stop());
  const remote = { config: mqttTestConfig({ protocolVersion: 4 }), brokerUrl: big.embeddedBrokerAddress()!.url, siteId: 'lab-cmd', timeoutMs: 5000, key };
  await t.rejects(callRemote('jobs.list', {}, remote), { code: 'too_large', message: /the answer is \d+ bytes, over the broker's maximum packet size of 65536 bytes: ask for less/ });
});

t.test('unsigned, wrongly signed, replayed, stale and cross-site commands change nothing, are logged and get no reply', async (t) => {
  const d = await daemon(t, true);
  const sub = await TestSubscriber.connect(d.url, 'earshot/lab-cmd/reply/+');
  t.teardown(() => sub.close());
  const send = await sender(t, d.url);
  const key = Buffer.from(KEY);

  // A good one first, kept for the replay below.
  const good = signCommand(key, 'lab-cmd', 'budget.set', { watts: 20 }, { requestId: 'good-000001' });
  await send('budget.set', good);
  const legit = signCommand(key, 'lab-cmd', 'budget.set', { watts: 30 }, { requestId: 'good-000002' });
  await send('budget.set', legit);
  await sub.waitFor((m) => m.length === 2, 3000, 'the two good replies');
  t.equal(d.budget.watts, 30);

  const { sig: _sig, ...unsigned } = signCommand(key, 'lab-cmd', 'budget.set', { watts: 1 }, { requestId: 'unsigned-01' });
  await send('budget.set', unsigned);
  await send('budget.set', signCommand(Buffer.from('an-attacker-guess-000000000000000000'), 'lab-cmd', 'budget.set', { watts: 2 }, { requestId: 'wrongkey-01' }));
  await send('budget.set', { ...signCommand(key, 'lab-cmd', 'budget.set', { watts: 25 }, { requestId: 'tamper-0001' }), params: { watts: 3 } });
  await send('budget.set', signCommand(key, 'lab-other', 'budget.set', { watts: 4 }, { requestId: 'othersite-1' }));
  await send('budget.set', signCommand(key, 'lab-cmd', 'budget.set', { watts: 5 }, { requestId: 'stale-00001', now: Date.now() - 10 * 60_000 }));
  // The exact bytes of the first good command, again.
  await send('budget.set', good);
  await send('budget.set', 'not json at all');
  await waitFor(() => handled(d) === 9, 3000, 'all nine commands handled');

  t.equal(d.budget.watts, 30, 'nothing changed the state');
  t.same(
    sub.messages.map((m) => [m.topic, m.json<ReplyPayload>().status]),
    [
      ['earshot/lab-cmd/reply/good-000001', 'ok'],
      ['earshot/lab-cmd/reply/good-000002', 'ok'],
    ],
    'only the accepted commands were answered',
  );
  for (const m of sub.messages) t.same(payloadErrors('reply', m.json()), [], 'reply validates');
  const stats = d.service.state().commands!;
  t.same(stats, { accepted: 2, rejected: { malformed: 2, unauthorized: 3, stale: 1, replayed: 1 } });
  const log = d.lines.join('\n');
  for (const reason of ['malformed', 'unauthorized', 'stale', 'replayed']) t.match(log, new RegExp(`WARN  earshot:mqtt:cmd remote command refused \\(${reason}\\)`), `${reason} is logged`);
  t.match(log, /refused \(replayed\): nonce .* was already used/);
  t.match(log, /payload is not JSON/);
  t.notMatch(log, new RegExp(KEY), 'the key never appears in the log');
});

t.test('a command over mqtt.commands.maxBytes is refused unread, even one signed and valid', async (t) => {
  const d = await daemon(t, true, undefined, { maxBytes: 4096 });
  const send = await sender(t, d.url);
  const key = Buffer.from(KEY);
  // Valid JSON with a good signature, only padded: it would be run if it were read.
  const padded = JSON.stringify(signCommand(key, 'lab-cmd', 'budget.set', { watts: 40 }, { requestId: 'padded-0001' })) + ' '.repeat(8192);
  await send('budget.set', padded);
  await waitFor(() => handled(d) === 1, 3000, 'the padded command handled');
  t.equal(d.budget.watts, 10, 'not run');
  t.same(d.service.state().commands, { accepted: 0, rejected: { malformed: 1, unauthorized: 0, stale: 0, replayed: 0 } });
  t.match(d.lines.join('\n'), /remote command refused \(malformed\): \d+ bytes, over the 4096 of mqtt\.commands\.maxBytes; not read/);
  t.same(await callRemote('budget.set', { watts: 41 }, { ...d.remote, key }), { watts: 41 }, 'the same command within the limit runs');
});

t.test('a client without the key that republishes every command, broken or replayed, cannot make it look refused', async (t) => {
  const d = await daemon(t, true);
  const sub = await TestSubscriber.connect(d.url, 'earshot/lab-cmd/reply/+');
  t.teardown(() => sub.close());
  // Mallory sees each command on the broker and sends it back three ways, with the
  // caller's requestId: with a broken signature, verbatim (a replay), and made malformed.
  const mallory = await mqtt.connectAsync(d.url, { clientId: 'mallory' });
  t.teardown(() => mallory.endAsync(true));
  const seen = new Set<string>();
  let echoed = 0;
  mallory.on('message', (topic, payload) => {
    if (seen.has(payload.toString())) return;
    const cmd = JSON.parse(payload.toString()) as Record<string, unknown>;
    const copies = [{ ...cmd, sig: 'f'.repeat(64) }, cmd, { ...cmd, nonce: 'short' }].map((c) => JSON.stringify(c));
    for (const c of copies) seen.add(c);
    for (const c of copies) void mallory.publishAsync(topic, c, { qos: 1 }).then(() => (echoed += 1));
  });
  await mallory.subscribeAsync('earshot/lab-cmd/cmd/+', { qos: 1 });

  const key = Buffer.from(KEY);
  for (const watts of [20, 21, 22]) t.same(await callRemote('budget.set', { watts }, { ...d.remote, key }), { watts }, `the caller gets the real answer (${watts} W)`);
  await waitFor(() => echoed === 9 && handled(d) === 12, 3000, "Mallory's nine copies handled");
  await sub.waitFor((m) => m.length >= 3, 3000, 'the three replies');
  t.equal(d.budget.watts, 22);
  t.equal(sub.messages.length, 3, 'one reply per command, none for the copies');
  for (const m of sub.messages) t.match(m.json<ReplyPayload>(), { status: 'ok' });
  t.same(d.service.state().commands, { accepted: 3, rejected: { malformed: 3, unauthorized: 3, stale: 0, replayed: 3 } });

  // A flood of forged commands, each naming a request id, is not turned into a flood of replies.
  await mallory.unsubscribeAsync('earshot/lab-cmd/cmd/+');
  const send = await sender(t, d.url);
  for (let i = 0; i < 300; i++) await send('budget.set', { ...signCommand(key, 'lab-cmd', 'budget.set', { watts: 1 }, { requestId: `forged-${String(i).padStart(4, '0')}` }), sig: '0'.repeat(64) });
  await waitFor(() => handled(d) === 312, 5000, 'the 300 forged commands handled');
  // A reply to any of them would reach the subscriber before the answer to this one.
  await callRemote('budget.set', { watts: 23 }, { ...d.remote, key });
  await sub.waitFor((m) => m.length >= 4, 3000, 'the last reply');
  t.equal(sub.messages.length, 4, 'the daemon published nothing for them, only the answer to the next real command');
  t.match(sub.messages[3]!.json<ReplyPayload>(), { status: 'ok', data: { watts: 23 } });
});

t.test('commands nested thousands deep are refused as malformed, each counted, none escaping the handler', async (t) => {
  const d = await daemon(t, true);
  const send = await sender(t, d.url);
  const escaped: unknown[] = [];
  const onRejection = (reason: unknown) => escaped.push(reason);
  process.on('unhandledRejection', onRejection);
  t.teardown(() => void process.off('unhandledRejection', onRejection));
  const signed = signCommand(Buffer.from(KEY), 'lab-cmd', 'budget.set', { watts: 40 });
  const deep = '{"a":'.repeat(3000) + '1' + '}'.repeat(3000);
  // The signature and the rest are right; only the params are a stack-exhausting tower.
  const started = performance.now();
  for (let i = 0; i < 50; i++) await send('budget.set', JSON.stringify({ ...signed, nonce: `deep-nonce-${String(i).padStart(8, '0')}`, params: '@' }).replace('"@"', deep));
  await waitFor(() => handled(d) === 50, 15_000, 'the 50 deep commands handled');
  const elapsedSec = (performance.now() - started) / 1000;
  t.same(d.service.state().commands, { accepted: 0, rejected: { malformed: 50, unauthorized: 0, stale: 0, replayed: 0 } });
  t.match(d.lines.join('\n'), /refused \(malformed\): does not match schemas\/command\.schema\.json: \/: nested deeper than 32 levels/);
  // Every refusal is either logged or counted in a "not logged" line (those come a second after).
  const logged = () => d.lines.filter((l) => l.includes('refused (malformed)')).length;
  const leftOut = () => d.lines.reduce((n, l) => n + Number(/(\d+) more refused remote commands not logged/.exec(l)?.[1] ?? 0), 0);
  await waitFor(() => logged() + leftOut() === 50, 15_000, 'each refusal logged or counted as left out');
  // No more lines than the throttle's budget over the time they came in, however long that took.
  const budget = Math.floor(WARNING_BURST + WARNINGS_PER_SECOND * elapsedSec);
  t.ok(logged() <= budget, `refusals are logged at a bounded rate (${logged()} lines for 50 in ${elapsedSec.toFixed(1)} s; at most ${budget})`);
  await new Promise((r) => setTimeout(r, 50));
  t.same(escaped, [], 'no unhandled rejection');
  t.equal(d.budget.watts, 10);
  t.same(await callRemote('budget.set', { watts: 40 }, { ...d.remote, key: Buffer.from(KEY) }), { watts: 40 }, 'and commands still run');
});

t.test('on a broker where anyone may publish to reply/, the caller skips what is not a reply to its command', async (t) => {
  const broker = await new Mosquitto({ persistence: false }).start();
  t.teardown(() => broker.stop());
  const d = await daemon(t, true, broker.url);
  // The method answers only once Mallory has had her say, so her messages come first.
  let malloryDone!: () => void;
  const spoken = new Promise<void>((resolve) => (malloryDone = resolve));
  d.control.registerUntyped('slow.echo', {
    handler: async () => {
      await spoken;
      return 'the real answer';
    },
  });
  const mallory = await mqtt.connectAsync(broker.url, { clientId: 'mallory' });
  t.teardown(() => mallory.endAsync(true));
  mallory.on('message', (_topic, payload) => {
    const requestId = (JSON.parse(payload.toString()) as { requestId: string }).requestId;
    const topic = `earshot/lab-cmd/reply/${requestId}`;
    const junk = [
      'not json',
      JSON.stringify({ v: 1, requestId: 'someone-else', status: 'ok', data: 'forged' }),
      JSON.stringify({ status: 'error', error: 'refused' }),
      // A well-formed answer to this very command, unsigned or signed with another key.
      JSON.stringify({ v: 1, requestId, status: 'ok', data: 'forged' }),
      JSON.stringify(signReply(Buffer.from('m'.repeat(48)), 'lab-cmd', 'slow.echo', { v: 1, requestId, status: 'ok', data: 'forged' })),
    ];
    void Promise.all(junk.map((j) => mallory.publishAsync(topic, j, { qos: 1 }))).then(() => malloryDone());
  });
  await mallory.subscribeAsync('earshot/lab-cmd/cmd/+', { qos: 1 });
  t.equal(await callRemote('slow.echo', {}, { ...d.remote, key: Buffer.from(KEY) }), 'the real answer');
});

t.test('a site that answers unsigned (a release from before replies were signed) is not believed, and the caller is told why', async (t) => {
  const broker = await new Mosquitto({ persistence: false }).start();
  t.teardown(() => broker.stop());
  const oldSite = await mqtt.connectAsync(broker.url, { clientId: 'old-site' });
  t.teardown(() => oldSite.endAsync(true));
  oldSite.on('message', (_topic, payload) => {
    const requestId = (JSON.parse(payload.toString()) as { requestId: string }).requestId;
    void oldSite.publishAsync(`earshot/lab-cmd/reply/${requestId}`, JSON.stringify({ v: 1, requestId, status: 'ok', data: { watts: 99 } }), { qos: 1 });
  });
  await oldSite.subscribeAsync('earshot/lab-cmd/cmd/+', { qos: 1 });
  const remote = { config: mqttTestConfig({ protocolVersion: 4 }), brokerUrl: broker.url, siteId: 'lab-cmd', key: Buffer.from(KEY), timeoutMs: 1500 };
  await t.rejects(callRemote('budget.set', { watts: 99 }, remote), { code: 'timeout', message: /1 message\(s\) on the reply topic were ignored[^]*1 of them had no signature at all[^]*upgrade the site/ });
});

t.test('a reply signature covers the verb, the request and the answer', async (t) => {
  const key = Buffer.from(KEY);
  const reply: ReplyPayload = { v: 1, requestId: 'r-000001', status: 'ok', data: { watts: 40, at: new Date(0) } as unknown };
  const signed = signReply(key, 'lab-cmd', 'budget.set', reply);
  const parsed = JSON.parse(JSON.stringify(signed)) as ReplyPayload;
  t.ok(replySignatureValid(key, 'lab-cmd', 'budget.set', parsed), 'valid as the caller parses it (the Date is a string there)');
  t.notOk(replySignatureValid(key, 'lab-cmd', 'budget.get', parsed), 'not for another verb');
  t.notOk(replySignatureValid(key, 'lab-other', 'budget.set', parsed), 'not for another site');
  t.notOk(replySignatureValid(key, 'lab-cmd', 'budget.set', { ...parsed, data: { watts: 41, at: '1970-01-01T00:00:00.000Z' } } as ReplyPayload), 'not for other data');
  t.notOk(replySignatureValid(key, 'lab-cmd', 'budget.set', { ...parsed, requestId: 'r-000002' }), 'not for another request');
  t.notOk(replySignatureValid(Buffer.from('k'.repeat(48)), 'lab-cmd', 'budget.set', parsed), 'not with another key');
});

t.test('commands are off by default: a signed command gets no reply and changes nothing', async (t) => {
  const d = await daemon(t, false);
  t.equal(d.service.state().commands, null);
  await t.rejects(callRemote('budget.set', { watts: 99 }, { ...d.remote, key: Buffer.from(KEY), timeoutMs: 600 }), { code: 'timeout', message: /no reply from site lab-cmd within 600 ms[^]*mqtt\.commands\.enabled is off there[^]*the key \(--key-file\) differs[^]*clock/ });
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
