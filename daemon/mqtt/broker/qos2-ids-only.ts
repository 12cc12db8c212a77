/**
 * The part of the broker's message store that holds a client's QoS 2 publishes between its
 * PUBLISH and its PUBREL (aedes-persistence, promise form as aedes 1.x calls it).
 */
export interface IncomingStore {
  incomingStorePacket(client: { id: string }, packet: IncomingPacket): Promise<void>;
}

interface IncomingPacket {
  messageId?: number;
  [field: string]: unknown;
}

const NO_PAYLOAD = Buffer.alloc(0);

/**
 * aedes forwards a QoS 2 publish as it arrives and keeps it only to know its message id when
 * the same id comes again before the PUBREL (MQTT 3.1.1 §4.3.3, method A): it looks up
 * whether the id is there, never at what it holds. It kept the whole packet, topic and
 * payload, up to 1,000 per client, and for a persistent session (clean session off) after the
 * client has gone: anyone who reaches the port could send 1 MiB publishes and never release
 * them, and the daemon held every one (900 MB per client id; a new id each time grew it
 * without end). The id alone is kept, with an empty topic and payload.
 */
export function keepQos2IdsOnly(store: IncomingStore): void {
  const storePacket = store.incomingStorePacket.bind(store);
  store.incomingStorePacket = (client, packet) =>
    storePacket(client, { cmd: 'publish', qos: 2, messageId: packet.messageId, topic: '', payload: NO_PAYLOAD, retain: false, dup: false });
}
