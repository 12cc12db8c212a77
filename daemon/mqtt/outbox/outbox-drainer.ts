import type { Logger } from '../../log/logger.js';
import type { CloseInfo, MqttConnection } from '../connection.js';
import { DROP_HINTS, type OutboxStore } from './outbox-store.js';
import type { OutboxEntry } from './outbox-log.js';
import { PacketTooLargeError } from '../packet-size.js';
import { PublishRefusedError } from '../publish-refused.js';
import { PACKET_TOO_LARGE } from '../broker-refusal-acks.js';
import { throttledWarnings, type ThrottledWarnings } from '../../log/throttled-warnings.js';
import { PublishRefusals, type PublishRefusal } from './publish-refusals.js';
import { ClosedOnPublishError, PROBATION_MS, SilentSizeRefusals, type SentMessage } from './silent-refusals.js';
import type { RejectReason } from './rejected-messages.js';

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
 * take (over its maximum packet size, or one it closes the connection on each time: see
 * silent-refusals.ts) is moved aside to rejected/, so the rest go on. One it refused (an ACL)
 * stays, is warned about and shown in the status, and is tried again later.
 */
export class OutboxDrainer {
  private readonly inFlight = new Set<string>();
  private readonly refusals = new PublishRefusals();
  private readonly silentRefusals = new SilentSizeRefusals();
  private readonly judgeClose = (info: CloseInfo): void => this.closed(info);
  /** Messages held back by silentRefusals, with why, and the timer that ends their probation. */
  private readonly held = new Map<string, { entry: OutboxEntry; err: ClosedOnPublishError }>();
  private probationTimer: NodeJS.Timeout | null = null;
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
    this.options.connection.onConnect(() => {
      this.startProbation();
      this.pump({ retryRefused: true });
    });
    this.options.connection.onClose(this.judgeClose);
    this.pump();
  }

  stop(): void {
    this.running = false;
    this.options.store.offDrop(this.forgetDropped);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.endProbation();
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
        (bytes) => {
          this.inFlight.delete(entry.id);
          const proven = this.silentRefusals.acked(entry.id, bytes);
          store.ack(entry.id);
          this.putOnTrial(proven);
          this.options.onDelivered?.(entry.id);
          if (this.refusals.delivered(entry.id, entry.topic)) this.options.logger.info('the broker takes transcripts on this topic again', { id: entry.id, topic: entry.topic });
          this.pump();
        },
        (err: unknown) => {
          // Over the broker's limit, or refused for its size: it would be at every try, so it
          // waits for a change to the broker, not for time.
          if (err instanceof PacketTooLargeError) return this.setAside(entry, err);
          // Held back by closed(): it stays in flight, not sent, until its probation ends.
          if (err instanceof ClosedOnPublishError) return;
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

  /**
   * A connection ended with publishes out: one the broker closed it on too often in a row is
   * taken back from MQTT.js (which would send it again at the reconnect) and held back, to see
   * whether the next connection works without it (silent-refusals.ts).
   */
  private closed(info: CloseInfo): void {
    const { store, connection } = this.options;
    // A probation lasts one connection: the timer must not end it while none is up.
    this.endProbation();
    const sent: SentMessage[] = [];
    const byId = new Map<string, OutboxEntry>();
    for (const entry of store.entries()) {
      if (sent.length >= this.inFlight.size) break;
      if (!this.inFlight.has(entry.id) || this.held.has(entry.id)) continue;
      sent.push({ id: entry.id, bytes: connection.publishBytes(entry.topic, entry.payload, entry.qos) });
      byId.set(entry.id, entry);
    }
    const { hold, release, condemn } = this.silentRefusals.closed(info, sent);
    for (const id of release ?? []) {
      // It dropped without the held message too: the network is to blame, not its size.
      this.options.logger.info('outbox: the connection dropped without the transcript held back as too big for the broker; it goes out again', { id });
      this.inFlight.delete(id);
      this.held.delete(id);
    }
    const condemned = condemn ? byId.get(condemn.id) : undefined;
    if (condemned) {
      // On trial, sent once more on a connection that worked without it: closed on it again.
      const err = this.closedOn(condemned, sent, condemn!.closes);
      connection.withdraw(condemned.topic, condemned.payload, err);
      this.setAside(condemned, err);
    }
    const entry = hold ? byId.get(hold) : undefined;
    if (!entry) return;
    const err = this.closedOn(entry, sent, this.silentRefusals.closesOf(entry.id));
    this.held.set(entry.id, { entry, err });
    this.options.logger.warn(`outbox: the broker closed the connection each of the last ${err.closes} times transcript ${entry.id} (${err.bytes} bytes) was sent; it is held back while the next connection shows whether it works without it, then sent once more`, { id: entry.id, topic: entry.topic, packetBytes: err.bytes });
    connection.withdraw(entry.topic, entry.payload, err);
  }

  private closedOn(entry: OutboxEntry, sent: SentMessage[], closes: number): ClosedOnPublishError {
    const bytes = sent.find((m) => m.id === entry.id)!.bytes;
    return new ClosedOnPublishError(entry.topic, bytes, closes, this.silentRefusals.largestAckedBytes);
  }

  /** On each connect while a message is held back: a connection that stays up without it puts it on trial. */
  private startProbation(): void {
    if (this.held.size === 0 || this.probationTimer) return;
    this.probationTimer = setTimeout(() => {
      this.probationTimer = null;
      this.putOnTrial(this.silentRefusals.stayedUp());
      this.pump();
    }, PROBATION_MS);
    this.probationTimer.unref();
  }

  private endProbation(): void {
    if (this.probationTimer) clearTimeout(this.probationTimer);
    this.probationTimer = null;
  }

  /**
   * The connection works without these held messages: each is sent once more (by the next
   * pump), and set aside only when the broker closes the connection on it again (closed()).
   * A flaky network that dropped a few connections with it out, then held, delivers it.
   */
  private putOnTrial(ids: string[]): void {
    if (ids.length === 0) return;
    this.endProbation();
    for (const id of ids) {
      this.held.delete(id);
      this.inFlight.delete(id);
      // One a bound dropped meanwhile has left the outbox already (counted as that drop).
      if (!this.options.store.has(id)) continue;
      this.options.logger.info('outbox: the connection works without the transcript held back as too big for the broker; it is sent once more, and set aside should the broker close the connection on it again', { id });
    }
  }

  /** Stays in flight (not sent again) until it is kept in rejected/; then the next ones go. */
  private setAside(entry: OutboxEntry, err: PacketTooLargeError | ClosedOnPublishError): void {
    const { store, logger } = this.options;
    const { reason, detail, why } = setAsideFor(err);
    const tooLarge = reason === 'too-large';
    const where = { id: entry.id, topic: entry.topic, ...detail };
    store.reject(entry.id, reason, detail).then(
      (file) => {
        this.inFlight.delete(entry.id);
        logger.error(`outbox: transcript ${entry.id} ${tooLarge ? 'can never be delivered' : 'set aside'}: ${why}; moved to ${file}, the next transcripts go on`, { ...where, hint: DROP_HINTS[reason] });
        this.pump();
      },
      (e: unknown) => {
        this.inFlight.delete(entry.id);
        logger.error(`outbox: transcript ${entry.id} is refused by the broker (${why}) and could not be moved aside; it stays in the outbox`, { ...where, err: e });
      },
    );
  }
}

/** Why a transcript is moved to outbox/rejected/: what the record says and what the log says. */
function setAsideFor(err: PacketTooLargeError | ClosedOnPublishError): { reason: RejectReason; detail: Record<string, number>; why: string } {
  if (err instanceof PacketTooLargeError) {
    // No limit: the broker refused it by its size in its acknowledgement (reason code 0x95).
    const detail: Record<string, number> = err.limit === null ? { packetBytes: err.bytes, reasonCode: PACKET_TOO_LARGE } : { packetBytes: err.bytes, brokerMaxPacketBytes: err.limit };
    return { reason: 'too-large', detail, why: `its ${err.bytes}-byte MQTT packet is ${err.tooLargeFor}` };
  }
  return {
    reason: 'connection-closed',
    detail: { packetBytes: err.bytes, closes: err.closes, largestAckedBytes: err.largestAcked },
    why: `the broker closed the connection each of the last ${err.closes} times its ${err.bytes}-byte MQTT packet was sent (${err.largestAcked > 0 ? `the largest it took was ${err.largestAcked} bytes` : 'it has taken none yet'}), so it probably refuses its size, which MQTT 3.1.1 cannot say: set mqtt.maxPacketBytes to the broker's limit`,
  };
}
