import t from 'tap';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { EmbeddedBroker } from '../../daemon/mqtt/broker/embedded-broker.js';
import { PasswordFile } from '../../daemon/mqtt/broker/password-file.js';
import { outsiderMayPublish } from '../../daemon/mqtt/broker/publish-acl.js';
import { MqttService } from '../../daemon/mqtt/mqtt-service.js';
import { silentLogger } from '../../daemon/log/logger.js';
import { tempDir } from '../helpers/paths.js';
import { mqttTestConfig } from './helpers/config.js';
import { sampleTranscript } from './helpers/transcripts.js';

/**
 * The embedded broker's users come from a password file made by Debian's real
 * `mosquitto_passwd`; only earshotd publishes under earshot/<siteId>/ (commands excepted).
 */
function passwordFile(): string {
  const file = join(tempDir('earshot-passwd-'), 'passwd');
  writeFileSync(file, '');
  execFileSync('mosquitto_passwd', ['-b', file, 'alice', 'correct horse battery']);
  execFileSync('mosquitto_passwd', ['-H', 'sha512', '-b', file, 'bob', 'hunter2']);
  return file;
}

async function login(url: string, username?: string, password?: string, clientId?: string): Promise<string> {
  const options = { reconnectPeriod: 0, connectTimeout: 5000, ...(clientId ? { clientId } : {}), ...(username === undefined ? {} : { username, password: password ?? '' }) };
  const client = mqtt.connect(url, options);
  // A refused CONNACK is an error; a connection closed before any CONNACK only a close.
  const outcome = await new Promise<string>((resolve) => {
    client.once('connect', () => resolve('connected'));
    client.once('error', (err) => resolve(err.message));
    client.once('close', () => resolve('closed before a CONNACK'));
  });
  await client.endAsync(true);
  return outcome;
}

t.test('logins are checked against a mosquitto_passwd file: PBKDF2 ($7$) and SHA-512 ($6$) users in, everyone else out', async (t) => {
  const file = passwordFile();
  const users = PasswordFile.load(file);
  t.equal(users.size, 2);
  t.ok(await users.verify('alice', Buffer.from('correct horse battery')), 'alice ($7$)');
  t.ok(await users.verify('bob', Buffer.from('hunter2')), 'bob ($6$)');
  t.notOk(await users.verify('alice', Buffer.from('hunter2')), 'wrong password');
  t.notOk(await users.verify('mallory', Buffer.from('hunter2')), 'unknown user');

  const broker = new EmbeddedBroker({ host: '127.0.0.1', port: 0, passwordFile: file, siteId: 'lab', logger: silentLogger });
  const { url } = await broker.start();
  t.teardown(() => broker.stop());
  t.equal(await login(url, 'alice', 'correct horse battery'), 'connected');
  t.equal(await login(url, 'bob', 'hunter2'), 'connected');
  t.match(await login(url, 'alice', 'wrong'), /Bad username or password/i);
  t.match(await login(url, 'mallory', 'hunter2'), /Bad username or password/i);
  t.match(await login(url), /Bad username or password/i, 'anonymous is refused');
  t.match(await login(url, 'earshotd-internal', 'guess'), /Bad username or password/i, "the daemon's own user cannot be guessed into");
});

t.test('a bad password file stops the broker from starting, naming the file and line', async (t) => {
  const dir = tempDir('earshot-passwd-');
  const cases: Array<[string, RegExp]> = [
    ['alice:plain-text-password\n', /passwd:1: not a hashed password; make the file with mosquitto_passwd/],
    ['# users\n\nalice:$7$101$!!!$abc\n', /passwd:3: the salt is not base64/],
    ['alice:$7$0$c2FsdA==$aGFzaGhhc2hoYXNoaGFzaA==\n', /passwd:1: iterations must be a whole number/],
    ['alice:$6$c2FsdA==$aGFzaGhhc2hoYXNoaGFzaA==\nalice:$6$c2FsdA==$aGFzaGhhc2hoYXNoaGFzaA==\n', /passwd:2: user "alice" is listed twice/],
    ['no-colon-here\n', /passwd:1: expected user:hash/],
  ];
  for (const [text, expected] of cases) {
    const file = join(dir, 'passwd');
    writeFileSync(file, text);
    const broker = new EmbeddedBroker({ host: '127.0.0.1', port: 0, passwordFile: file, siteId: 'lab', logger: silentLogger });
    await t.rejects(broker.start(), expected);
    t.equal(broker.address(), null, 'not listening');
  }
  const missing = new EmbeddedBroker({ host: '127.0.0.1', port: 0, passwordFile: join(dir, 'nope'), siteId: 'lab', logger: silentLogger });
  await t.rejects(missing.start(), /mqtt\.embedded\.passwordFile .*nope: cannot read it/);
});

t.test('only earshotd publishes under earshot/<siteId>/: other clients may send commands and use other topics', async (t) => {
  t.ok(outsiderMayPublish('lab', 'earshot/lab/cmd/status'));
  t.ok(outsiderMayPublish('lab', 'earshot/grid/intensity'));
  t.ok(outsiderMayPublish('lab', 'earshot/other-site/transcript/mic'));
  t.ok(outsiderMayPublish('lab', 'homeassistant/status'));
  const ha = ['homeassistant/sensor/earshot_lab/'];
  t.notOk(outsiderMayPublish('lab', 'homeassistant/sensor/earshot_lab/power/config', ha), "the daemon's Home Assistant configs, when it publishes them");
  t.ok(outsiderMayPublish('lab', 'homeassistant/sensor/earshot_lab/power/config'), 'open when discovery is off');
  t.ok(outsiderMayPublish('lab', 'homeassistant/sensor/other_box/power/config', ha), "another device's configs stay open");
  for (const topic of ['$SYS/broker/new/clients', '$share/x', 'earshot/lab', 'earshot/lab/transcript/mic', 'earshot/lab/status', 'earshot/lab/reply/1', 'earshot/lab/cmd', 'earshot/lab/cmd/', 'earshot/lab/cmd/a/b']) {
    t.notOk(outsiderMayPublish('lab', topic), topic);
  }
  t.notOk(outsiderMayPublish('lab', 'homeassistant/sensor/earshot_lab', ha), 'the bare discovery node too');
  t.notOk(outsiderMayPublish('lab', 'earshot/lab/cmd/status', [], true), 'a command is never retained');
  t.ok(outsiderMayPublish('lab', 'earshot/grid/intensity', [], true), 'other topics may be retained');

  // A real daemon service on its embedded broker (no password file: anyone may connect).
  const service = new MqttService({ config: mqttTestConfig({ embedded: { port: 0 }, telemetryIntervalSec: 0 }), siteId: 'lab', version: '0.1.0', logger: silentLogger, dataDir: tempDir() });
  await service.start();
  t.teardown(() => service.stop());
  const url = service.embeddedBrokerAddress()!.url;
  const watcher = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
  t.teardown(() => watcher.endAsync(true));
  const got: string[] = [];
  watcher.on('message', (topic, payload) => got.push(`${topic} ${payload.toString()}`));
  await watcher.subscribeAsync(['earshot/lab/#', 'earshot/grid/#'], { qos: 1 });

  // Each forgery from its own client: aedes drops a client whose publish it refuses.
  const forge = async (topic: string, body: string, retain = false) => {
    const forger = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
    forger.on('error', () => undefined);
    forger.publish(topic, body, { qos: 0, retain });
    await new Promise((r) => setTimeout(r, 100));
    forger.end(true);
  };
  await forge('earshot/lab/transcript/mic', '{"text":"forged"}');
  await forge('earshot/lab/status', '{"state":"offline"}', true);
  await forge('earshot/lab', 'junk on the bare site topic', true);
  await forge('earshot/lab/cmd/status', 'junk retained command', true);
  await forge('earshot/lab/cmd/transcript', 'junk retained command', true);
  // aedes disconnects the client named in a $SYS new-clients message.
  await forge('$SYS/broker/new/clients', service.clientId);
  const honest = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
  t.teardown(() => honest.endAsync(true));
  await honest.publishAsync('earshot/grid/intensity', '180', { qos: 1 });
  await honest.publishAsync('earshot/lab/cmd/status', 'unsigned, refused later by the command checker', { qos: 1 });
  await service.publishTranscript(sampleTranscript(1, 'lab'));
  const until = Date.now() + 5000;
  while (!got.some((g) => g.startsWith('earshot/lab/transcript/')) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));

  t.ok(got.some((g) => g.startsWith('earshot/grid/intensity 180')), 'another topic passes');
  t.ok(got.some((g) => g.startsWith('earshot/lab/cmd/status')), 'a command passes (its signature is checked by the daemon)');
  t.ok(got.some((g) => g.startsWith('earshot/lab/transcript/mic') && g.includes(sampleTranscript(1, 'lab').id)), "the daemon's own transcript passes");
  t.notOk(got.some((g) => g.includes('forged')), 'a forged transcript does not');
  t.notOk(got.some((g) => g.startsWith('earshot/lab/status') && g.includes('"offline"')), 'nor a forged status');
  t.equal(service.state().connection?.connects, 1, 'the daemon was never thrown off ($SYS is refused)');
  t.notOk(got.some((g) => g.includes('junk')), 'nothing on the bare site topic, no retained command');
  // A subscriber that comes later is handed what is retained: none of the junk.
  const late = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
  t.teardown(() => late.endAsync(true));
  const retained: string[] = [];
  late.on('message', (topic, payload, packet) => packet.retain && retained.push(`${topic} ${payload.toString()}`));
  await late.subscribeAsync(['earshot/lab', 'earshot/lab/#'], { qos: 1 });
  await new Promise((r) => setTimeout(r, 300));
  t.ok(retained.some((r) => r.startsWith('earshot/lab/status')), "the daemon's own retained status is there");
  t.notOk(retained.some((r) => r.includes('junk')), 'no junk is retained in the trusted namespace');

  // Logging in with the daemon's own client id would push it off and fire its last will.
  t.match(await login(url, undefined, undefined, service.clientId), /Bad username or password/i, "the daemon's client id is refused to others");
  await new Promise((r) => setTimeout(r, 200));
  t.equal(service.state().connection?.connects, 1, 'and the daemon is still on its first connection');
  t.notOk(got.some((g) => g.startsWith('earshot/lab/status') && g.includes('"offline"')), 'no offline will was fired');
});

t.test('with a password file the daemon still publishes (it logs in as itself) and anonymous readers are refused', async (t) => {
  const file = passwordFile();
  const service = new MqttService({ config: mqttTestConfig({ embedded: { port: 0, passwordFile: file }, telemetryIntervalSec: 0 }), siteId: 'lab', version: '0.1.0', logger: silentLogger, dataDir: tempDir() });
  await service.start();
  t.teardown(() => service.stop());
  const url = service.embeddedBrokerAddress()!.url;
  t.match(await login(url), /Bad username or password/i, 'an anonymous reader is refused');
  const reader = await mqtt.connectAsync(url, { username: 'alice', password: 'correct horse battery', reconnectPeriod: 0 });
  t.teardown(() => reader.endAsync(true));
  const got: string[] = [];
  reader.on('message', (topic) => got.push(topic));
  await reader.subscribeAsync('earshot/lab/transcript/#', { qos: 1 });
  await service.publishTranscript(sampleTranscript(2, 'lab'));
  const until = Date.now() + 5000;
  while (got.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  t.same(got, ['earshot/lab/transcript/mic-1'], 'a logged-in reader gets the transcript');
});

t.test('the broker takes at most maxConnections clients; the next is closed and the daemon stays on', async (t) => {
  const service = new MqttService({ config: mqttTestConfig({ embedded: { port: 0, maxConnections: 3 }, telemetryIntervalSec: 0 }), siteId: 'lab', version: '0.1.0', logger: silentLogger, dataDir: tempDir() });
  await service.start();
  t.teardown(() => service.stop());
  const url = service.embeddedBrokerAddress()!.url;
  // The daemon's own client is one of the three.
  const a = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
  const b = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
  t.teardown(() => Promise.all([a.endAsync(true), b.endAsync(true)]));
  t.not(await login(url), 'connected', 'a fourth client is refused');
  await b.endAsync(true);
  // The broker frees b's place only once it has seen b's connection close (net.Server counts
  // a connection down in its close phase), which a loaded box can put off: try again for a
  // while. Never freed, every try is refused and this fails.
  let outcome = await login(url);
  for (const until = Date.now() + 5000; outcome !== 'connected' && Date.now() < until; outcome = await login(url)) await new Promise((r) => setTimeout(r, 100));
  t.equal(outcome, 'connected', 'and let in once a place is free');
  t.equal(service.state().connection?.connects, 1, 'the daemon kept its connection throughout');
});
