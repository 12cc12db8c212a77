import t from 'tap';
// The encoder MQTT.js itself uses (a dependency of mqtt): the size must match what goes on the wire.
import { generate } from 'mqtt-packet';
import { publishPacketBytes } from '../../daemon/mqtt/packet-size.js';

t.test('the PUBLISH size matches the encoded packet, across the length-field boundaries', async (t) => {
  const topic = 'earshot/lab-1/transcript/mic-ü';
  // Remaining lengths just under and over 127, 16 383 and 2 097 151 (1, 2, 3 and 4 length bytes).
  for (const payloadBytes of [0, 80, 95, 96, 16_300, 16_340, 2_097_100, 2_097_200]) {
    const payload = 'x'.repeat(payloadBytes);
    for (const protocolVersion of [4, 5]) {
      for (const qos of [0, 1] as const) {
        const wire = generate({ cmd: 'publish', topic, payload, qos, retain: false, dup: false, ...(qos ? { messageId: 1 } : {}) }, { protocolVersion }).length;
        t.equal(publishPacketBytes(topic, payload, qos, protocolVersion), wire, `${payloadBytes} bytes, MQTT ${protocolVersion}, QoS ${qos}`);
      }
    }
  }
});
