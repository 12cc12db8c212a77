import type { Logger } from '../../log/logger.js';
import type { MqttConnection } from '../connection.js';
import { DROP_HINTS, type OutboxStore } from './outbox-store.js';
import type { OutboxEntry } from './outbox-log.js';
import { PacketTooLargeError } from '../packet-size.js';

export interface OutboxDrainerOptions {
  store: OutboxStore;
  connection: MqttConnection;
  /** Most messages published and not yet acknowledged at once. */
  window: number;
  logger: Logger;
  /** Called after the broker acknowledged a message (for integrations that follow a delivery). */
  onDelivered?: (id: string) => void;
}

/**
 * Publishes the outbox in order while connected and acks each entry on its PUBACK. Entries
 * in flight when the connection drops stay in flight: MQTT.js re-sends them itself at the
 * next connect (before it reports `connect`), and their callbacks then fire. Only a publish
 * that fails outright (client ended) is released to be sent again. One the broker could never
 * take (over its maximum packet size) is moved aside to rejected/, so the rest go on.
 */
export class OutboxDrainer {
  private readonly inFlight = new Set<string>();
  private running = false;

  constructor(private readonly options: OutboxDrainerOptions) {}

  start(): void {
    this.running = true;
    this.options.connection.onConnect(() => this.pump());
    this.pump();
  }

  stop(): void {
    this.running = false;
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Sends what the window allows; call after each append. */
  pump(): void {
    const { store, connection, window } = this.options;
    if (!this.running || !connection.connected) return;
    if (this.inFlight.size >= window) return;
    for (const entry of store.entries()) {
      if (this.inFlight.size >= window) break;
      if (this.inFlight.has(entry.id)) continue;
      this.inFlight.add(entry.id);
      connection.publish(entry.topic, entry.payload, { qos: entry.qos, retain: entry.retain }).then(
        () => {
          this.inFlight.delete(entry.id);
          store.ack(entry.id);
          this.options.onDelivered?.(entry.id);
          this.pump();
        },
        (err: unknown) => {
          if (err instanceof PacketTooLargeError) return this.setAside(entry, err);
          this.inFlight.delete(entry.id);
          this.options.logger.debug('outbox publish failed; it stays in the outbox', { id: entry.id, err });
        },
      );
    }
  }

  /** Stays in flight (not sent again) until it is kept in rejected/; then the next ones go. */
  private setAside(entry: OutboxEntry, err: PacketTooLargeError): void {
    const { store, logger } = this.options;
    const where = { id: entry.id, topic: entry.topic, bytes: err.bytes, limit: err.limit };
    store.reject(entry.id, 'too-large', { packetBytes: err.bytes, brokerMaxPacketBytes: err.limit }).then(
      (file) => {
        this.inFlight.delete(entry.id);
        logger.error(`outbox: transcript ${entry.id} can never be delivered: its ${err.bytes}-byte MQTT packet is over the broker's maximum packet size of ${err.limit} bytes; moved to ${file}, the next transcripts go on`, {
          ...where,
          hint: DROP_HINTS['too-large'],
        });
        this.pump();
      },
      (e: unknown) => {
        this.inFlight.delete(entry.id);
        logger.error(`outbox: transcript ${entry.id} is too big for the broker (${err.bytes} bytes, limit ${err.limit}) and could not be moved aside; it stays in the outbox`, { ...where, err: e });
      },
    );
  }
}
