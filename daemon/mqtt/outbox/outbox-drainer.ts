import type { Logger } from '../../log/logger.js';
import type { MqttConnection } from '../connection.js';
import { DROP_HINTS, type OutboxStore } from './outbox-store.js';
import type { OutboxEntry } from './outbox-log.js';
import { PacketTooLargeError } from '../packet-size.js';
import { PublishRefusedError } from '../publish-refused.js';
import { throttledWarnings, type ThrottledWarnings } from '../../log/throttled-warnings.js';
import { PublishRefusals, type PublishRefusal } from './publish-refusals.js';

export interface OutboxDrainerOptions {
  store: OutboxStore;
  connection: MqttConnection;
  /** Most messages published and not yet acknowledged at once. */
  window: number;
  logger: Logger;
  /** Called after the broker acknowledged a message (for integrations that follow a delivery). */
  onDelivered?: (id: string) => void;
  /** How long entries the broker refused wait before they are sent again (also at each reconnect). */
  retryRefusedMs: number;
}

/**
 * Publishes the outbox in order while connected and acks each entry on its PUBACK. Entries
 * in flight when the connection drops stay in flight: MQTT.js re-sends them itself at the
 * next connect (before it reports `connect`), and their callbacks then fire. Only a publish
 * that fails outright (client ended) is released to be sent again. One the broker could never
 * take (over its maximum packet size) is moved aside to rejected/, so the rest go on. One it
 * refused (an ACL) stays, is warned about and shown in the status, and is tried again later.
 */
export class OutboxDrainer {
  private readonly inFlight = new Set<string>();
  private readonly refusals = new PublishRefusals();
  private readonly forgetDropped = (entry: OutboxEntry): void => this.refusals.forget(entry.id);
  private readonly refusalWarnings: ThrottledWarnings;
  private retryTimer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(private readonly options: OutboxDrainerOptions) {
    this.refusalWarnings = throttledWarnings(options.logger, 'refused transcript publishes');
  }

  start(): void {
    this.running = true;
    // Refusals are kept only for entries still in the outbox: delivered ones are cleared as
    // they are acked (see pump), dropped ones here, so the set is bounded by the outbox.
    this.options.store.onDrop(this.forgetDropped);
    this.options.connection.onConnect(() => this.pump({ retryRefused: true }));
    this.pump();
  }

  stop(): void {
    this.running = false;
    this.options.store.offDrop(this.forgetDropped);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  /** What the broker refuses now, for the status; null when it takes everything. */
  refusal(): PublishRefusal | null {
    return this.refusals.current();
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Entries set apart as refused by the broker: never more than the outbox holds. */
  get refusedCount(): number {
    return this.refusals.size;
  }

  /**
   * Sends what the window allows; call after each append. Entries the broker refused wait for
   * `retryRefused` (the retry timer, a reconnect), or for a publish on their topic to go through.
   */
  pump({ retryRefused = false } = {}): void {
    const { store, connection, window } = this.options;
    if (!this.running || !connection.connected) return;
    if (this.inFlight.size >= window) return;
    for (const entry of store.entries()) {
      if (this.inFlight.size >= window) break;
      if (this.inFlight.has(entry.id)) continue;
      if (!retryRefused && this.refusals.has(entry.id)) continue;
      this.inFlight.add(entry.id);
      connection.publish(entry.topic, entry.payload, { qos: entry.qos, retain: entry.retain }).then(
        () => {
          this.inFlight.delete(entry.id);
          store.ack(entry.id);
          this.options.onDelivered?.(entry.id);
          if (this.refusals.delivered(entry.id, entry.topic)) this.options.logger.info('the broker takes transcripts on this topic again', { id: entry.id, topic: entry.topic });
          this.pump();
        },
        (err: unknown) => {
          if (err instanceof PacketTooLargeError) return this.setAside(entry, err);
          this.inFlight.delete(entry.id);
          if (err instanceof PublishRefusedError) return this.refused(entry, err);
          this.options.logger.debug('outbox publish failed; it stays in the outbox', { id: entry.id, err });
        },
      );
    }
  }

  private refused(entry: OutboxEntry, err: PublishRefusedError): void {
    // Dropped from the outbox while its publish was out: nothing is left to send again.
    if (!this.options.store.has(entry.id)) return this.pump();
    if (this.refusals.record(entry.id, err)) {
      this.refusalWarnings.warn(`the broker refused transcript ${entry.id} on ${entry.topic}: ${err.reason}; it stays in the outbox and is sent again every ${Math.round(this.options.retryRefusedMs / 1000)} s`, {
        id: entry.id,
        topic: entry.topic,
        reasonCode: err.code,
        hint: "allow this client to publish on the daemon's topics in the broker's ACL (Mosquitto: acl_file, e.g. `topic write earshot/<siteId>/#`)",
      });
    }
    // Set apart now: the rest of the outbox goes on meanwhile.
    this.pump();
    if (this.retryTimer || !this.running) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.pump({ retryRefused: true });
    }, this.options.retryRefusedMs);
    this.retryTimer.unref();
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
