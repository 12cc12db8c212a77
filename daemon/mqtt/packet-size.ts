/**
 * The size on the wire of a PUBLISH packet, to hold it against the most a broker takes.
 * A broker that gets a bigger packet closes the connection (MQTT 5 §3.1.2.24 and §3.2.2.3.6,
 * Mosquitto's `max_packet_size`), and a client that keeps the packet for its session sends
 * it again at every reconnect: one such packet would hold up everything after it for good.
 */

/** Bytes of an MQTT Variable Byte Integer (MQTT 5 §1.5.5; the same encoding in 3.1.1 §2.2.3). */
function variableByteIntegerBytes(n: number): number {
  if (n < 128) return 1;
  if (n < 16_384) return 2;
  if (n < 2_097_152) return 3;
  return 4;
}

/**
 * Fixed header, topic, packet id (QoS 1 and 2) and, in MQTT 5, the property length (no
 * properties: the daemon sets none on a publish), then the payload (MQTT 5 §3.3).
 */
export function publishPacketBytes(topic: string, payload: string | Buffer, qos: 0 | 1 | 2, protocolVersion: number): number {
  const remaining = 2 + Buffer.byteLength(topic) + (qos > 0 ? 2 : 0) + (protocolVersion === 5 ? 1 : 0) + (typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length);
  return 1 + variableByteIntegerBytes(remaining) + remaining;
}

/**
 * A publish that the broker refuses by its size whenever it is sent. Over a known limit it is
 * never sent; a broker that limits only what it keeps (Mosquitto's message_size_limit) says so
 * in its acknowledgement instead, with 0x95 Packet too large and no figure (`limit` null).
 */
export class PacketTooLargeError extends Error {
  override readonly name = 'PacketTooLargeError';
  /** What the packet is too large for, in words: "over the broker's maximum packet size of N bytes", or the broker's refusal. */
  readonly tooLargeFor: string;

  constructor(
    readonly topic: string,
    /** The PUBLISH packet's size. */
    readonly bytes: number,
    /** The most the broker takes (its CONNACK Maximum Packet Size, or mqtt.maxPacketBytes); null when the broker refused it as too large without saying its limit. */
    readonly limit: number | null,
  ) {
    const tooLargeFor =
      limit === null
        ? "refused by the broker as too large (reason code 0x95; Mosquitto answers so for a message over its message_size_limit)"
        : `over the broker's maximum packet size of ${limit} bytes`;
    super(`a ${bytes}-byte PUBLISH to ${topic} is ${tooLargeFor}`);
    this.tooLargeFor = tooLargeFor;
  }
}
