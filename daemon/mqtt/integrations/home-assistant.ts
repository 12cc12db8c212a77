import type { TranscriptPayload } from '../payloads/transcript.js';
import { PAYLOAD_VERSION } from '../payloads/status.js';
import { siteTopics } from '../topics.js';

/**
 * Home Assistant MQTT discovery (https://www.home-assistant.io/integrations/mqtt/#mqtt-discovery):
 * one retained config message per sensor under `<prefix>/sensor/<node>/<object>/config`.
 * The sensors read the telemetry topic and a retained last-transcript topic; availability
 * follows our retained status (and so our last will).
 */
export interface DiscoveryMessage {
  topic: string;
  payload: Record<string, unknown>;
}

interface SensorSpec {
  object: string;
  name: string;
  template: string;
  unit?: string;
  deviceClass?: string;
  stateClass?: string;
  icon?: string;
}

const TELEMETRY_SENSORS: SensorSpec[] = [
  { object: 'power', name: 'Power', template: '{{ value_json.power.watts }}', unit: 'W', deviceClass: 'power', stateClass: 'measurement' },
  { object: 'temperature', name: 'Temperature', template: '{{ value_json.temperature.celsius }}', unit: '°C', deviceClass: 'temperature', stateClass: 'measurement' },
  { object: 'carbon_intensity', name: 'Grid carbon intensity', template: '{{ value_json.carbon.intensityGPerKwh }}', unit: 'gCO2eq/kWh', stateClass: 'measurement', icon: 'mdi:molecule-co2' },
  { object: 'queue_depth', name: 'Queue depth', template: '{{ value_json.queue.depth }}', stateClass: 'measurement', icon: 'mdi:tray-full' },
];

/** Retained `earshot/<siteId>/last_transcript`: what the "last transcript" sensor shows. */
export function lastTranscriptTopic(siteId: string): string {
  return `${siteTopics(siteId).base}/last_transcript`;
}

/** schemas/last-transcript.schema.json. */
export function lastTranscriptState(t: TranscriptPayload): Record<string, unknown> {
  return { v: PAYLOAD_VERSION, id: t.id, text: t.text, sourceId: t.sourceId, language: t.language, endedAt: t.endedAt, modelId: t.modelId };
}

/**
 * Home Assistant's node id for a site: its discovery configs live under `<prefix>/sensor/<node>/`,
 * and the node is the start of each sensor's unique_id and the device's identifier, so no two
 * sites may share one. A site id without '_' keeps the node it always had, `earshot_` and the id
 * with '-' written '_' (site ids are mostly host names, which cannot hold '_'). An id with '_'
 * would share that node with its hyphenated twin (hq_1 and hq-1 were both earshot_hq_1: the
 * retained configs of one replaced the other's, and Home Assistant refused the second
 * unique_id), so it is `earshot-` and the id as written: discovery topics may hold '-'
 * ([a-zA-Z0-9_-], homeassistant/components/mqtt/discovery.py), and no node of the first kind
 * starts so.
 */
export function discoveryNode(siteId: string): string {
  return siteId.includes('_') ? `earshot-${siteId}` : `earshot_${siteId.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

/**
 * The entity id Home Assistant gives a sensor when it first sees it (its entity ids hold only
 * [a-z0-9_]): the same for both kinds of node, so a site that moved to an `earshot-` node
 * keeps its entity ids once its old entities are removed (twins get Home Assistant's `_2` on
 * the second). Home Assistant 2025.10 replaced `object_id` with `default_entity_id`, warned
 * about object_id in every discovery config, and stopped reading it in 2026.4.
 */
function defaultEntityId(siteId: string, object: string): string {
  return `sensor.earshot_${siteId.replace(/[^A-Za-z0-9]/g, '_')}_${object}`.toLowerCase();
}

export function discoveryMessages(siteId: string, version: string, prefix: string): DiscoveryMessage[] {
  const topics = siteTopics(siteId);
  const node = discoveryNode(siteId);
  const device = { identifiers: [node], name: `Earshot ${siteId}`, manufacturer: 'Earshot', model: 'earshotd', sw_version: version };
  const availability = { topic: topics.status, value_template: '{{ value_json.state }}', payload_available: 'online', payload_not_available: 'offline' };
  const sensor = (spec: SensorSpec, stateTopic: string, extra: Record<string, unknown> = {}): DiscoveryMessage => {
    const payload: Record<string, unknown> = {
      name: spec.name,
      unique_id: `${node}_${spec.object}`,
      default_entity_id: defaultEntityId(siteId, spec.object),
      state_topic: stateTopic,
      value_template: spec.template,
      availability: [availability],
      device,
      ...extra,
    };
    if (spec.unit) payload.unit_of_measurement = spec.unit;
    if (spec.deviceClass) payload.device_class = spec.deviceClass;
    if (spec.stateClass) payload.state_class = spec.stateClass;
    if (spec.icon) payload.icon = spec.icon;
    return { topic: `${prefix}/sensor/${node}/${spec.object}/config`, payload };
  };
  return [
    ...TELEMETRY_SENSORS.map((s) => sensor(s, topics.telemetry)),
    // A state is at most 255 characters in Home Assistant; the full text is an attribute.
    sensor({ object: 'last_transcript', name: 'Last transcript', template: '{{ value_json.text[:255] }}', icon: 'mdi:text-to-speech' }, lastTranscriptTopic(siteId), {
      json_attributes_topic: lastTranscriptTopic(siteId),
    }),
  ];
}
