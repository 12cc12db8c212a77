import t from 'tap';
import mqtt from 'mqtt';
import { MqttService } from '../../../daemon/mqtt/mqtt-service.js';
import { silentLogger } from '../../../daemon/log/logger.js';
import { payloadErrors } from '../../../daemon/mqtt/payload-schemas.js';
import type { TelemetryPayload } from '../../../daemon/mqtt/payloads/telemetry.js';
import type { HermesTextCaptured } from '../../../daemon/mqtt/integrations/hermes.js';
import { Mosquitto } from '../../helpers/mosquitto.js';
import { tempDir } from '../../helpers/paths.js';
import { mqttTestConfig } from '../helpers/config.js';
import { TestSubscriber } from '../helpers/subscriber.js';
import { sampleTranscript } from '../helpers/transcripts.js';

/** Publishes a textCaptured from a client of its own, as another program on the broker would. */
async function forgeHermes(url: string, text: string): Promise<void> {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
  client.on('error', () => undefined);
  client.publish('hermes/asr/textCaptured', JSON.stringify({ text, likelihood: 1, seconds: 1, siteId: 'default', sessionId: null }), { qos: 0 });
  await new Promise((r) => setTimeout(r, 150));
  client.end(true);
}

/** Resolves `{{ value_json.a.b }}` (optionally `[:255]`) the way Home Assistant's template would. */
function resolveTemplate(template: string, value: unknown): unknown {
  const m = /^\{\{ value_json\.([\w.]+)(\[:\d+\])? \}\}$/.exec(template);
  if (!m) throw new Error(`unexpected template ${template}`);
  return m[1]!.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown>)?.[k], value);
}

t.test('Home Assistant discovery and Rhasspy Hermes messages', async (t) => {
  const service = new MqttService({
    config: mqttTestConfig({ embedded: { port: 0 }, homeAssistant: { enabled: true }, hermes: { enabled: true }, telemetryIntervalSec: 0 }),
    siteId: 'lab-ha',
    version: '1.2.3',
    logger: silentLogger,
    dataDir: tempDir(),
  });
  await service.start();
  t.teardown(() => service.stop());
  const url = service.embeddedBrokerAddress()!.url;
  const sub = await TestSubscriber.connect(url, ['homeassistant/#', 'hermes/#', 'earshot/lab-ha/#']);
  t.teardown(() => sub.close());

  await sub.waitFor((m) => m.filter((x) => x.topic.startsWith('homeassistant/')).length >= 5, 5000, 'discovery configs');
  const configs = sub.messages.filter((x) => x.topic.startsWith('homeassistant/'));
  t.same(configs.map((c) => c.topic).sort(), [
    'homeassistant/sensor/earshot_lab_ha/carbon_intensity/config',
    'homeassistant/sensor/earshot_lab_ha/last_transcript/config',
    'homeassistant/sensor/earshot_lab_ha/power/config',
    'homeassistant/sensor/earshot_lab_ha/queue_depth/config',
    'homeassistant/sensor/earshot_lab_ha/temperature/config',
  ]);
  t.ok(configs.every((c) => c.retain), 'discovery configs are retained');
  const power = configs.find((c) => c.topic.includes('/power/'))!.json<Record<string, unknown>>();
  // Home Assistant stopped reading object_id in 2026.4 (after warning about it from 2025.10).
  t.ok(configs.every((c) => !('object_id' in c.json<Record<string, unknown>>())), 'no config uses the retired object_id');
  t.match(power, {
    unique_id: 'earshot_lab_ha_power',
    default_entity_id: 'sensor.earshot_lab_ha_power',
    state_topic: 'earshot/lab-ha/telemetry',
    unit_of_measurement: 'W',
    device_class: 'power',
    device: { identifiers: ['earshot_lab_ha'], sw_version: '1.2.3' },
    availability: [{ topic: 'earshot/lab-ha/status', payload_available: 'online' }],
  });

  // The templates point at real fields of real telemetry.
  service.setTelemetrySource(() => ({
    power: { watts: 7.5, method: 'measured', source: 'rapl' },
    temperature: { celsius: 51 },
    carbon: { intensityGPerKwh: 220 },
    model: { id: 'm', state: 'loaded' },
    queue: { depth: 4 },
  }));
  await service.sendTelemetry();
  await sub.waitFor((m) => m.some((x) => x.topic === 'earshot/lab-ha/telemetry'), 5000, 'telemetry');
  const telemetry = sub.on('earshot/lab-ha/telemetry')[0]!.json<TelemetryPayload>();
  const expected: Record<string, unknown> = { power: 7.5, temperature: 51, carbon_intensity: 220, queue_depth: 4 };
  for (const c of configs.filter((x) => !x.topic.includes('last_transcript'))) {
    const body = c.json<{ value_template: string; unique_id: string }>();
    const object = body.unique_id.replace('earshot_lab_ha_', '');
    t.equal(resolveTemplate(body.value_template, telemetry), expected[object], `${object} template reads the telemetry`);
  }

  // earshotd is the ASR here: a textCaptured from anyone else is a forgery a voice
  // assistant would act on, and the embedded broker refuses it (dropping that client).
  await forgeHermes(url, 'unlock the front door');

  // A transcript: Hermes textCaptured and the retained last-transcript state.
  const tr = sampleTranscript(5, 'lab-ha');
  tr.tokens = tr.tokens.map((k, i) => ({ ...k, confidence: i % 2 ? 0.8 : 0.9 }));
  await service.publishTranscript(tr);
  await sub.waitFor((m) => m.some((x) => x.topic === 'hermes/asr/textCaptured') && m.some((x) => x.topic === 'earshot/lab-ha/last_transcript'), 5000, 'integration messages');
  t.equal(sub.on('hermes/asr/textCaptured').length, 1, 'the forged textCaptured never arrived');
  const hermes = sub.on('hermes/asr/textCaptured')[0]!.json<HermesTextCaptured>();
  t.same(hermes, { text: 'turn on light 5', likelihood: 0.85, seconds: 2.4, siteId: 'lab-ha', sessionId: tr.id, wakewordId: null, lang: 'en' });
  const last = sub.on('earshot/lab-ha/last_transcript')[0]!;
  t.equal(last.json<{ id: string }>().id, tr.id);
  t.same(payloadErrors('last-transcript', last.json()), [], 'it validates against schemas/last-transcript.schema.json');
  const lastConfig = configs.find((c) => c.topic.includes('last_transcript'))!.json<{ value_template: string }>();
  t.equal(resolveTemplate(lastConfig.value_template, last.json()), 'turn on light 5');
});

t.test('integrations are off by default', async (t) => {
  const service = new MqttService({ config: mqttTestConfig({ embedded: { port: 0 }, telemetryIntervalSec: 0 }), siteId: 'lab-plain', version: '1', logger: silentLogger, dataDir: tempDir() });
  await service.start();
  t.teardown(() => service.stop());
  const sub = await TestSubscriber.connect(service.embeddedBrokerAddress()!.url, ['homeassistant/#', 'hermes/#', 'earshot/lab-plain/#']);
  t.teardown(() => sub.close());
  await service.publishTranscript(sampleTranscript(1, 'lab-plain'));
  await sub.waitFor((m) => m.some((x) => x.topic.includes('/transcript/')), 5000, 'transcript');
  t.same(sub.messages.map((m) => m.topic).sort(), ['earshot/lab-plain/status', 'earshot/lab-plain/transcript/mic-1']);
  // not earshotd's topic then: another ASR on the same broker may use it
  await forgeHermes(service.embeddedBrokerAddress()!.url, 'from another ASR');
  await sub.waitFor((m) => m.some((x) => x.topic === 'hermes/asr/textCaptured'), 5000, "another client's textCaptured");
});

t.test('Home Assistant discovery: sites whose ids differ only in - and _ keep apart on one broker', async (t) => {
  // A shared Mosquitto, as for a fleet of sites and one Home Assistant.
  const broker = await new Mosquitto().start();
  t.teardown(() => broker.stop());
  const start = async (siteId: string): Promise<void> => {
    const config = mqttTestConfig({ url: broker.url, homeAssistant: { enabled: true }, telemetryIntervalSec: 0 });
    const service = new MqttService({ config, siteId, version: '1', logger: silentLogger, dataDir: tempDir() });
    await service.start();
    t.teardown(() => service.stop());
  };
  await start('hq-1');
  // hq_1 connects last: its retained configs replaced hq-1's when both were earshot_hq_1.
  await start('hq_1');
  const sub = await TestSubscriber.connect(broker.url, 'homeassistant/#');
  t.teardown(() => sub.close());
  await sub.waitFor((m) => m.length >= 10, 5000, 'the retained discovery configs of both sites');
  await new Promise((r) => setTimeout(r, 200));

  const configs = sub.messages.map((m) => ({ topic: m.topic, body: m.json<{ unique_id: string; default_entity_id: string; state_topic: string; device: { identifiers: string[] } }>() }));
  t.equal(configs.length, 10, 'five sensors for each site, none replaced');
  t.equal(new Set(configs.map((c) => c.body.unique_id)).size, 10, 'unique_ids are unique');
  const of = (siteId: string) => configs.filter((c) => c.body.state_topic.startsWith(`earshot/${siteId}/`));
  // A site id without '_' keeps the node (and so the entities) it had before.
  t.same(of('hq-1').map((c) => c.topic).sort(), ['carbon_intensity', 'last_transcript', 'power', 'queue_depth', 'temperature'].map((o) => `homeassistant/sensor/earshot_hq_1/${o}/config`));
  t.same(of('hq_1').map((c) => c.topic).sort(), ['carbon_intensity', 'last_transcript', 'power', 'queue_depth', 'temperature'].map((o) => `homeassistant/sensor/earshot-hq_1/${o}/config`));
  t.same(new Set(of('hq-1').flatMap((c) => c.body.device.identifiers)), new Set(['earshot_hq_1']));
  t.same(new Set(of('hq_1').flatMap((c) => c.body.device.identifiers)), new Set(['earshot-hq_1']));
  // The entity ids the upgraded site had: the old ones, once removed, hand them on.
  t.same(of('hq_1').map((c) => c.body.default_entity_id).sort(), of('hq-1').map((c) => c.body.default_entity_id).sort());
  t.ok(of('hq_1').every((c) => /^sensor\.earshot_hq_1_[a-z_]+$/.test(c.body.default_entity_id)));
  // Home Assistant reads only these topics as discovery (homeassistant/components/mqtt/discovery.py).
  for (const c of configs) t.match(c.topic, /^homeassistant\/sensor\/[a-zA-Z0-9_-]+\/[a-zA-Z0-9_-]+\/config$/);
});
