import type { MqttConfig } from './config.js';
import { fleetMessageLimit } from './fleet/fleet-signature.js';
import { MAX_MESSAGE_BYTES as CARBON_MAX_MESSAGE_BYTES } from '../energy/carbon/mqtt-source.js';

/**
 * The Maximum Packet Size each MQTT 5 connection of the daemon announces in its CONNECT
 * (MQTT 5 §3.1.2.11.4): the broker then drops anything bigger for us instead of sending it
 * (§3.1.2.24). Without it a broker sends packets of any size (Mosquitto up to 256 MB), and the
 * daemon had read the whole of one before any handler could refuse it by its length.
 *
 * Each is the largest message that connection has a use for, plus room for the rest of the
 * packet: a topic of up to 65,535 bytes, the packet id, the properties a publisher may add
 * (content type, user properties…) and the fixed header.
 */
const HEADER_ROOM = 64 * 1024;

/** The most an MQTT packet can be (a 268,435,455-byte remainder after a 5-byte fixed header). */
const MQTT_MAX_PACKET = 268_435_460;

function withHeaderRoom(message: number): number {
  return Math.min(MQTT_MAX_PACKET, message + HEADER_ROOM);
}

/**
 * The main connection: remote commands (`mqtt.commands.maxBytes`), the fleet offerer's
 * results, claims and every site's status, and the carbon intensity topic
 * (`scheduler.carbon.source: "mqtt"`, subscribed through this connection; counted always,
 * as this section does not say whether it is on, and 2 MiB costs nothing to allow).
 */
export function mainConnectionMaxPacket(config: Pick<MqttConfig, 'commands' | 'fleet'>): number {
  const uses = [CARBON_MAX_MESSAGE_BYTES];
  if (config.commands.enabled) uses.push(config.commands.maxBytes);
  if (config.fleet.enabled) uses.push(fleetMessageLimit('job-done', config.fleet.maxAudioBytes));
  return withHeaderRoom(Math.max(...uses));
}

/** The fleet worker's connection: offers, with their audio (`mqtt.fleet.maxAudioBytes`), and grants. */
export function fleetWorkerMaxPacket(config: Pick<MqttConfig, 'fleet'>): number {
  return withHeaderRoom(fleetMessageLimit('job', config.fleet.maxAudioBytes));
}
