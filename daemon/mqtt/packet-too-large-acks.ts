import { createRequire } from 'node:module';

/** MQTT 5 reason code 0x95 Packet too large. */
export const PACKET_TOO_LARGE = 0x95;

let accepted = false;

/**
 * Mosquitto (2.0) answers a QoS 1 or 2 PUBLISH over its `message_size_limit` with a PUBACK or
 * PUBREC carrying 0x95 Packet too large, a code MQTT 5 does not list for those packets
 * (§3.4.2.1). mqtt-packet's parser is strict about that list: it fails on the PUBACK and is out
 * of step with the stream from then on, so no later packet on the connection is read. The
 * keepalive times out, and at each reconnect the same publish is sent again and the same
 * happens: nothing behind it is ever acknowledged, and all of it reaches subscribers again at
 * every round. The code is unambiguous, so it is taken as the answer to that one publish:
 * MQTT.js then fails that publish alone with the reason code, as it does any refusal.
 *
 * The list is a module-level table of the mqtt-packet that MQTT.js itself loads, so it is
 * resolved from MQTT.js's own location (a nested copy of another version would be a different
 * table).
 */
export function acceptPacketTooLargeAcks(): void {
  if (accepted) return;
  const fromMqtt = createRequire(createRequire(import.meta.url).resolve('mqtt'));
  const constants = fromMqtt('mqtt-packet/constants.js') as { MQTT5_PUBACK_PUBREC_CODES: Record<number, string> };
  constants.MQTT5_PUBACK_PUBREC_CODES[PACKET_TOO_LARGE] ??= 'Packet too large';
  accepted = true;
}
