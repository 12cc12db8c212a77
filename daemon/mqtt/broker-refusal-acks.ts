import { createRequire } from 'node:module';

/** MQTT 5 reason code 0x95 Packet too large. */
export const PACKET_TOO_LARGE = 0x95;

/** MQTT 5 §2.4: a reason code of 0x80 or more says the request failed. */
const FIRST_FAILURE_CODE = 0x80;

let accepted = false;

/**
 * mqtt-packet's parser is strict about the reason codes MQTT 5 lists for a PUBACK or PUBREC
 * (§3.4.2.1): on any other it fails, and is out of step with the stream from then on, so no
 * later packet on the connection is read. The keepalive times out, and at each reconnect the
 * same publish is sent again and the same happens: nothing behind it is ever acknowledged, and
 * all of it reaches subscribers again at every round.
 *
 * Brokers do send such codes: Mosquitto (2.0) answers a publish over its `message_size_limit`
 * with 0x95 Packet too large. Any failure code (0x80 and up, §2.4) is an unambiguous refusal
 * of that one publish, so each the list lacks is added to it: MQTT.js then fails that publish
 * alone with the code, as it does any refusal, and the connection goes on. A success code the
 * list lacks (below 0x80) is left refused: taking it as a failure would send a message the
 * broker took again, and as a success would guess.
 *
 * The list is a module-level table of the mqtt-packet that MQTT.js itself loads, so it is
 * resolved from MQTT.js's own location (a nested copy of another version would be a different
 * table).
 */
export function acceptBrokerRefusalAcks(): void {
  if (accepted) return;
  const fromMqtt = createRequire(createRequire(import.meta.url).resolve('mqtt'));
  const constants = fromMqtt('mqtt-packet/constants.js') as { MQTT5_PUBACK_PUBREC_CODES: Record<number, string> };
  const codes = constants.MQTT5_PUBACK_PUBREC_CODES;
  codes[PACKET_TOO_LARGE] ??= 'Packet too large';
  for (let code = FIRST_FAILURE_CODE; code <= 0xff; code++) codes[code] ??= `Reason code 0x${code.toString(16)}`;
  accepted = true;
}
