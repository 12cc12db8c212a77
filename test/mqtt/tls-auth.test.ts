import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { MqttService } from '../../daemon/mqtt/mqtt-service.js';
import { checkBrokerConnection } from '../../daemon/mqtt/connection-check.js';
import { LogSink } from '../../daemon/log/logger.js';
import type { TranscriptPayload } from '../../daemon/mqtt/payloads/transcript.js';
import { Mosquitto, freePort } from '../helpers/mosquitto.js';
import { testPki } from '../helpers/tls.js';
import { tempDir } from '../helpers/paths.js';
import { mqttTestConfig } from './helpers/config.js';
import { TestSubscriber } from './helpers/subscriber.js';
import { sampleTranscript } from './helpers/transcripts.js';

const pki = testPki();
const secrets = tempDir();
const goodPw = join(secrets, 'good');
const badPw = join(secrets, 'bad');
writeFileSync(goodPw, 'c0rrect-h0rse\n', { mode: 0o600 });
writeFileSync(badPw, 'wrong\n', { mode: 0o600 });

function capture() {
  const lines: string[] = [];
  return { lines, logger: new LogSink({ level: 'info', format: 'text', write: (l) => lines.push(l), syslogPrefix: false }).logger('mqtt') };
}

t.test('TLS + password to Mosquitto: the daemon connects, publishes, and mqtt test passes every layer', async (t) => {
  const broker = await new Mosquitto({ users: { earshot: 'c0rrect-h0rse', dash: 'board' }, tls: pki }).start();
  t.teardown(() => broker.stop());
  const config = mqttTestConfig({ url: broker.tlsUrl, username: 'earshot', passwordFile: goodPw, tls: { ca: pki.caCert }, telemetryIntervalSec: 0 });

  const check = await checkBrokerConnection({ config, siteId: 'lab-tls', timeoutMs: 5000 });
  t.equal(check.ok, true, check.failure?.message ?? 'every layer passes');
  t.same(check.steps.map((s) => s.step), ['config', 'dns', 'tcp', 'tls', 'mqtt']);
  t.match(check.steps[3]!.detail, /CN=localhost issued by earshot-test-ca/);
  t.match(check.steps[4]!.detail, /MQTT 5 CONNECT accepted for user earshot/);

  const sub = await TestSubscriber.connect(broker.tlsUrl, 'earshot/lab-tls/transcript/+', { username: 'dash', password: 'board', ca: readFileSync(pki.caCert) });
  t.teardown(() => sub.close());
  const service = new MqttService({ config, siteId: 'lab-tls', version: '0.0.0-test', logger: capture().logger, dataDir: tempDir() });
  await service.start();
  t.teardown(() => service.stop());
  t.equal(service.state().connection?.state, 'connected');
  await service.publishTranscript(sampleTranscript(1, 'lab-tls'));
  await sub.waitFor((m) => m.length > 0, 5000, 'transcript over TLS');
  t.equal(sub.messages[0]!.json<TranscriptPayload>().id, sampleTranscript(1, 'lab-tls').id);
  t.match(broker.log(), /New client connected .* as earshot-lab-tls .*u'earshot'/);
});

t.test('a wrong CA or a wrong password gives a clear error naming the cause', async (t) => {
  const broker = await new Mosquitto({ users: { earshot: 'c0rrect-h0rse' }, tls: pki }).start();
  t.teardown(() => broker.stop());

  const wrongCa = mqttTestConfig({ url: broker.tlsUrl, username: 'earshot', passwordFile: goodPw, tls: { ca: pki.otherCaCert } });
  const caCheck = await checkBrokerConnection({ config: wrongCa, siteId: 'lab-x', timeoutMs: 5000 });
  t.equal(caCheck.ok, false);
  t.equal(caCheck.failure?.layer, 'tls');
  t.match(caCheck.failure?.message, /^TLS: the broker certificate chain ends in a CA that is not trusted/);
  t.match(caCheck.failure?.hint, /mqtt\.tls\.ca/);
  t.same(caCheck.steps.map((s) => [s.step, s.ok]), [['config', true], ['dns', true], ['tcp', true], ['tls', false]]);

  // The daemon itself: keeps running, retries, and its state and log say why.
  const { lines, logger } = capture();
  const service = new MqttService({ config: { ...wrongCa, reconnect: { minDelayMs: 200, maxDelayMs: 400 } }, siteId: 'lab-x', version: '0', logger, dataDir: tempDir() });
  await service.start();
  t.teardown(() => service.stop());
  t.not(service.state().connection?.state, 'connected');
  t.equal(service.state().connection?.lastError?.layer, 'tls');
  t.match(lines.join('\n'), /WARN  earshot:mqtt:client MQTT TLS: .*CA.* hint="check mqtt\.tls\.ca/);

  const wrongPw = mqttTestConfig({ url: broker.tlsUrl, username: 'earshot', passwordFile: badPw, tls: { ca: pki.caCert } });
  const pwCheck = await checkBrokerConnection({ config: wrongPw, siteId: 'lab-x', timeoutMs: 5000 });
  t.equal(pwCheck.ok, false);
  t.equal(pwCheck.failure?.layer, 'auth');
  t.match(pwCheck.failure?.message, /^auth: the broker refused the credentials \(Connection refused: (Not authorized|Bad User Name or Password)/);
  t.match(pwCheck.failure?.hint, /mqtt\.username and the password in mqtt\.passwordFile/);
  t.same(pwCheck.steps.map((s) => s.ok), [true, true, true, true, false], 'TLS passed, auth failed');

  const noPwFile = mqttTestConfig({ url: broker.tlsUrl, username: 'earshot', passwordFile: join(secrets, 'missing'), tls: { ca: pki.caCert } });
  const cfgCheck = await checkBrokerConnection({ config: noPwFile, siteId: 'lab-x', timeoutMs: 5000 });
  t.equal(cfgCheck.failure?.layer, 'config');
  t.match(cfgCheck.failure?.message, /mqtt\.passwordFile: cannot read password file .*missing/);
});

t.test('client certificates: required by the broker, accepted when configured', async (t) => {
  const broker = await new Mosquitto({ tls: pki, requireClientCert: true }).start();
  t.teardown(() => broker.stop());
  const base = { url: broker.tlsUrl, tls: { ca: pki.caCert } };
  const without = await checkBrokerConnection({ config: mqttTestConfig(base), siteId: 'c', timeoutMs: 5000 });
  t.equal(without.ok, false, 'refused without a client certificate');
  const withCert = await checkBrokerConnection({ config: mqttTestConfig({ ...base, tls: { ca: pki.caCert, cert: pki.clientCert, key: pki.clientKey } }), siteId: 'c', timeoutMs: 5000 });
  t.equal(withCert.ok, true, withCert.failure?.message ?? 'accepted with a client certificate');
});

t.test('TCP and DNS failures are named as such', async (t) => {
  const port = await freePort();
  const tcp = await checkBrokerConnection({ config: mqttTestConfig({ url: `mqtt://127.0.0.1:${port}` }), siteId: 's', timeoutMs: 3000 });
  t.equal(tcp.failure?.layer, 'tcp');
  t.match(tcp.failure?.message, /^TCP: cannot reach the broker at mqtt:\/\/127\.0\.0\.1:\d+ \(connect ECONNREFUSED/);
  const dns = await checkBrokerConnection({ config: mqttTestConfig({ url: 'mqtt://no-such-host.invalid:1883' }), siteId: 's', timeoutMs: 3000 });
  t.equal(dns.failure?.layer, 'dns');
  t.match(dns.failure?.message, /^DNS: cannot resolve the broker host/);
});
