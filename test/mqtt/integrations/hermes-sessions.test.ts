import t, { type Test } from 'tap';
import mqtt from 'mqtt';
import { MqttService } from '../../../daemon/mqtt/mqtt-service.js';
import { LogSink, silentLogger } from '../../../daemon/log/logger.js';
import { HERMES_START_LISTENING, HermesSessions } from '../../../daemon/mqtt/integrations/hermes-sessions.js';
import type { HermesTextCaptured } from '../../../daemon/mqtt/integrations/hermes.js';
import type { TranscriptPayload } from '../../../daemon/mqtt/payloads/transcript.js';
import { tempDir } from '../../helpers/paths.js';
import { mqttTestConfig, type DeepPartial } from '../helpers/config.js';
import type { MqttConfig } from '../../../daemon/mqtt/config.js';
import { TestSubscriber } from '../helpers/subscriber.js';
import { sampleTranscript } from '../helpers/transcripts.js';
import { Mosquitto } from '../../helpers/mosquitto.js';

/** A final of live speech on `sourceId` that ended at `endedAtMs`. */
function liveFinal(n: number, endedAtMs: number, sourceId = 'mic-1'): TranscriptPayload {
  const t = sampleTranscript(n, 'branch-3', sourceId);
  return { ...t, startedAt: new Date(endedAtMs - 2400).toISOString(), endedAt: new Date(endedAtMs).toISOString() };
}

/** A live source with this id: the config refuses a mqtt.hermes.sources id that no source has. */
function liveSource(id: string | undefined) {
  return { id, type: 'socket', path: `/run/earshot/${id}.sock`, format: { encoding: 's16le', sampleRate: 16000, channels: 1 } };
}

/** A daemon's MQTT service with Hermes on, on its embedded broker or on `brokerUrl`. */
async function started(t: Test, hermes: DeepPartial<MqttConfig['hermes']>, brokerUrl?: string) {
  const lines: string[] = [];
  const logger = new LogSink({ level: 'debug', format: 'text', write: (l) => lines.push(l), syslogPrefix: false }).logger('mqtt');
  const service = new MqttService({
    config: mqttTestConfig({ url: brokerUrl ?? null, embedded: { port: 0 }, hermes: { enabled: true, ...hermes }, telemetryIntervalSec: 0 }, { sources: (hermes.sources ?? []).map(liveSource) }),
    siteId: 'branch-3',
    version: '1.0.0',
    logger,
    dataDir: tempDir(),
    // The daemon's live sources, liveFinal's default among them.
    liveSources: ['mic-1', ...(hermes.sources ?? []).filter((id): id is string => id !== undefined)],
  });
  await service.start();
  t.teardown(() => service.stop());
  const url = brokerUrl ?? service.embeddedBrokerAddress()!.url;
  const sub = await TestSubscriber.connect(url, ['hermes/asr/textCaptured']);
  t.teardown(() => sub.close());
  // Rhasspy's dialogue manager, as another client of the broker.
  const rhasspy = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0 });
  t.teardown(() => rhasspy.endAsync(true));
  const ask = async (topic: 'startListening' | 'stopListening', body: unknown): Promise<void> => {
    await rhasspy.publishAsync(`hermes/asr/${topic}`, typeof body === 'string' ? body : JSON.stringify(body), { qos: 1 });
    // The broker has it (PUBACK); this leaves it time to reach the daemon's handler.
    await new Promise((r) => setTimeout(r, 100));
  };
  const captured = async (count: number): Promise<HermesTextCaptured[]> => {
    await sub.waitFor((m) => m.length >= count, 5000, `${count} textCaptured`);
    return sub.messages.slice(0, count).map((m) => m.json<HermesTextCaptured>());
  };
  return { service, ask, captured, lines };
}

t.test('a listening session of the site gets the next final of live speech ended after it, with its ids; one utterance per request', async (t) => {
  const { service, ask, captured } = await started(t, { siteId: 'default' });
  await ask('startListening', { siteId: 'default', sessionId: 'default-jarvis-1', wakewordId: 'jarvis', lang: null, stopOnSilence: true, sendAudioCaptured: true });
  const asked = Date.now();
  // The wake word itself, said before the request (with a pause after it): not the answer.
  await service.publishTranscript(liveFinal(1, asked - 800));
  await service.publishTranscript(liveFinal(2, asked + 1500));
  await service.publishTranscript(liveFinal(3, asked + 4000));
  const [wake, answer, after] = await captured(3);
  t.match(wake, { text: 'turn on light 1', siteId: 'branch-3' }, 'speech that ended before the request is published as before');
  t.not(wake!.sessionId, 'default-jarvis-1');
  t.match(answer, { text: 'turn on light 2', siteId: 'default', sessionId: 'default-jarvis-1', wakewordId: 'jarvis', lang: 'en' }, 'the session’s ids, which Rhasspy’s dialogue manager checks');
  t.match(after, { text: 'turn on light 3', siteId: 'branch-3', wakewordId: null }, 'the session took one utterance');
  t.not(after!.sessionId, 'default-jarvis-1');
});

t.test('requests of other sites, stopped sessions, lapsed sessions, recordings and other sources answer nothing', async (t) => {
  // Sessions lapse after 3 s: s-open must outlast three durable publishes, and a stall of 1 s
  // (a loaded box) among them lapsed it when the limit was 1 s.
  const { service, ask, captured, lines } = await started(t, { siteId: 'kitchen', sources: ['mic-kitchen'], listenTimeoutSec: 3 });
  await ask('startListening', { siteId: 'hall', sessionId: 's-hall' });
  await service.publishTranscript(liveFinal(1, Date.now() + 500, 'mic-kitchen'));
  await ask('startListening', { siteId: 'kitchen', sessionId: 's-stopped' });
  await ask('stopListening', { siteId: 'kitchen', sessionId: 's-stopped' });
  await service.publishTranscript(liveFinal(2, Date.now() + 500, 'mic-kitchen'));
  await ask('startListening', { siteId: 'kitchen', sessionId: 's-open' });
  await service.publishTranscript({ ...liveFinal(3, Date.now() + 500, 'mic-kitchen'), recording: 'memo.wav' });
  await service.publishTranscript(liveFinal(4, Date.now() + 500, 'mic-hall'));
  await service.publishTranscript(liveFinal(5, Date.now() + 500, 'mic-kitchen'));
  await ask('startListening', { siteId: 'kitchen', sessionId: 's-lapsed' });
  await new Promise((r) => setTimeout(r, 3200));
  await service.publishTranscript(liveFinal(6, Date.now() + 500, 'mic-kitchen'));
  const got = await captured(6);
  const sessions = got.map((c) => (c.sessionId?.startsWith('s-') ? c.sessionId : 'its own'));
  t.same(sessions, ['its own', 'its own', 'its own', 'its own', 's-open', 'its own'], 'only the kitchen microphone’s live speech, in time, answers the open session');
  t.same(got.map((c) => c.text), [1, 2, 3, 4, 5, 6].map((n) => `turn on light ${n}`), 'and every final is published');
  t.notOk(lines.some((l) => l.startsWith('WARN')), 'nothing here is worth a warning');
});

t.test('malformed listening requests are refused with a reason; the session held and the daemon go on', async (t) => {
  const { service, ask, captured, lines } = await started(t, {});
  await ask('startListening', { siteId: 'branch-3', sessionId: 'good' });
  for (const bad of ['not json', '[]', '{"siteId":"branch-3"}', JSON.stringify({ siteId: 'branch-3', sessionId: 'x'.repeat(300) }), JSON.stringify({ siteId: 7, sessionId: 'y' })]) await ask('startListening', bad);
  await service.publishTranscript(liveFinal(1, Date.now() + 500));
  const [answer] = await captured(1);
  t.equal(answer!.sessionId, 'good', 'the session opened before the bad requests still gets its answer');
  const warnings = lines.filter((l) => l.startsWith('WARN') && l.includes('Hermes message ignored'));
  t.ok(warnings.some((l) => l.includes('payload is not JSON')), 'not JSON');
  t.ok(warnings.some((l) => l.includes('sessionId must be a string of 1 to 256 characters')), 'a missing or oversize sessionId');
  t.ok(warnings.some((l) => l.includes('siteId must be a string')), 'a siteId that is not a string');
  t.ok(warnings.every((l) => l.includes('topic=hermes/asr/startListening')), 'each names the topic');
});

t.test('a retained listening request, sent before the daemon connected, opens no session: the warning says why', async (t) => {
  // Mosquitto keeps it across the daemon's absence, as a broker shared with other sites does.
  const broker = await new Mosquitto().start();
  t.teardown(() => broker.stop());
  const someone = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  await someone.publishAsync('hermes/asr/startListening', JSON.stringify({ siteId: 'default', sessionId: 'yesterdays-session' }), { qos: 1, retain: true });
  await someone.endAsync();
  const { service, captured, lines } = await started(t, { siteId: 'default' }, broker.url);
  // The broker hands the retained request over at the daemon's subscribe.
  await new Promise((r) => setTimeout(r, 300));
  await service.publishTranscript(liveFinal(1, Date.now() + 500));
  const [own] = await captured(1);
  t.not(own!.sessionId, 'yesterdays-session', 'the first utterance after the start goes out as its own session');
  t.equal(own!.siteId, 'branch-3');
  t.ok(lines.some((l) => l.startsWith('WARN') && l.includes('Hermes message ignored') && l.includes('retained')), lines.join('\n'));
  // As the warning says: an empty retained message clears it, and is no request to warn of.
  const clearer = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  await clearer.publishAsync('hermes/asr/startListening', '', { qos: 1, retain: true });
  await clearer.endAsync();
  await new Promise((r) => setTimeout(r, 300));
  t.notOk(lines.some((l) => l.includes('not JSON')), 'the empty message clearing it is not warned of');
});

t.test("the session's time limit is counted on the monotonic clock: a step of the wall clock neither ends it early nor keeps it open", async (t) => {
  let wall = Date.parse('2026-11-26T10:00:00Z');
  let monotonic = 5_000;
  const sessions = new HermesSessions({ siteId: 'branch-3', sources: [], liveSources: ['mic-1'], listenTimeoutMs: 30_000, logger: silentLogger, clock: () => wall, monotonicClock: () => monotonic });
  const request = (sessionId: string) => sessions.onMessage(HERMES_START_LISTENING, Buffer.from(JSON.stringify({ siteId: 'branch-3', sessionId })));

  request('stepped-forward');
  // NTP steps the clock an hour forward 2 s after the request; the answer comes 3 s after it.
  wall += 3_600_000 + 3_000;
  monotonic += 3_000;
  t.equal(sessions.claim(liveFinal(1, wall))?.sessionId, 'stepped-forward', 'answered: 3 s have passed, not an hour');

  request('stepped-back');
  const asked = wall;
  // The clock steps an hour back; 40 s later a final of speech dated (forward, by its stream) after the request comes.
  wall -= 3_600_000;
  monotonic += 40_000;
  t.equal(sessions.claim(liveFinal(2, asked + 1_000)), undefined, 'lapsed: 40 s have passed, over the 30 s limit');
});
