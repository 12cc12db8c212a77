import mqtt, { type IClientOptions, type IClientPublishOptions, type ISubscriptionMap, type MqttClient, type IPublishPacket } from 'mqtt';
import type { Logger } from '../log/logger.js';
import type { MqttReconnectConfig } from './config.js';
import { diagnoseConnectError, isOversizeFromBroker, type Diagnosis } from './diagnose.js';
import { throttledWarnings } from '../log/throttled-warnings.js';
import { topicNameProblem } from './topics.js';
import type { LastWill } from './client-options.js';
import { maskUrlCredentials } from '../log/redact.js';
import { PacketTooLargeError, publishPacketBytes } from './packet-size.js';
import { brokerReasonCode, PublishRefusedError } from './publish-refused.js';
import { acceptBrokerRefusalAcks, PACKET_TOO_LARGE } from './broker-refusal-acks.js';

/**
 * The most a graceful stop waits for the broker: to acknowledge what is in flight, then to
 * close after our DISCONNECT. systemd kills the daemon 20 s after SIGTERM (TimeoutStopSec),
 * and the rest of the stop (fleet connection, offline status, outbox) needs its share of that.
 */
export const GRACEFUL_STOP_MS = 3000;

export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'stopped';

export interface ConnectionSnapshot {
  state: ConnectionState;
  url: string;
  clientId: string;
  connectedAt: string | null;
  /** Number of connections made since start (1 after the first). */
  connects: number;
  /** Delay before the next reconnect attempt (grows while the broker stays away). */
  retryDelayMs: number;
  lastError: Diagnosis | null;
  /** The largest packet the broker takes: its CONNACK's Maximum Packet Size or mqtt.maxPacketBytes, the smaller; null = no known limit. */
  maxPacketBytes: number | null;
}

export interface MqttConnectionOptions {
  url: string;
  clientOptions: IClientOptions;
  reconnect: MqttReconnectConfig;
  /** The largest packet the broker takes, for brokers that do not announce it (MQTT 3.1.1); null = none known. */
  maxPacketBytes?: number | null;
  logger: Logger;
}

export type MessageHandler = (topic: string, payload: Buffer, packet: IPublishPacket) => void;

/** How a connection ended, for the listeners that judge what was in flight on it. */
export interface CloseInfo {
  /** The broker had answered its CONNECT (CONNACK): publishes in flight were sent on it. */
  opened: boolean;
  /** The other end closed it (a reset, or the end of its stream), not our keepalive or stop. */
  byPeer: boolean;
}

/**
 * One MQTT.js client with what the services need around it: a state for `earshot status`,
 * the last failure diagnosed by layer, exponential reconnect backoff (MQTT.js only has a
 * fixed period, so the period is doubled on each failed attempt and reset on connect), and
 * connect/close/message listeners that `stop()` removes with the client.
 */
export class MqttConnection {
  private client: MqttClient | null = null;
  private snapshot: ConnectionSnapshot;
  private failures = 0;
  private readonly connectListeners: Array<() => void> = [];
  private readonly closeListeners: Array<(info: CloseInfo) => void> = [];
  private readonly messageHandlers: MessageHandler[] = [];
  /** Messages a handler threw on; their senders set the pace, the log does not follow it. */
  private readonly handlerFailures;
  /** The Maximum Packet Size in the last CONNACK (MQTT 5 §3.2.2.3.6); null when the broker announced none. */
  private announcedMaxPacket: number | null = null;
  /**
   * Whether the connections since the last ordinary close were dropped by MQTT.js because the
   * broker sent a packet over the Maximum Packet Size we announced. Each counts as a failed
   * attempt (a connect does not reset the count then): a broker that sends such a packet at
   * every connect (a session redelivering it, or a hostile one) would otherwise be reconnected
   * to at the floor delay for ever, each time after reading the whole packet. Cleared when a
   * connection ends for any other reason.
   */
  private droppedOversize = false;
  /** Set by such a drop's error, read by the close that follows it. */
  private droppingOversize = false;
  /** What the close listeners are told about the connection now open (CloseInfo). */
  private connackSeen = false;
  private peerClosed = false;

  constructor(private readonly options: MqttConnectionOptions) {
    this.handlerFailures = throttledWarnings(options.logger, 'MQTT messages that could not be handled');
    this.snapshot = {
      state: 'idle',
      // Shown by `earshot status` and in errors: a password in the URL stays out of both.
      url: maskUrlCredentials(options.url),
      clientId: options.clientOptions.clientId ?? '',
      connectedAt: null,
      connects: 0,
      retryDelayMs: options.reconnect.minDelayMs,
      lastError: null,
      maxPacketBytes: options.maxPacketBytes ?? null,
    };
  }

  /**
   * Starts connecting and resolves at the first CONNACK or the first failure, whichever
   * comes first; after a failure the client keeps retrying in the background (the outbox
   * holds transcripts meanwhile), so a broker that is down never blocks the daemon.
   */
  start(): Promise<void> {
    if (this.client) return Promise.resolve();
    const log = this.options.logger;
    this.snapshot.state = 'connecting';
    acceptBrokerRefusalAcks();
    const client = mqtt.connect(this.options.url, { ...this.options.clientOptions });
    this.client = client;
    return new Promise((resolve) => {
      let settled = false;
      const settle = () => {
        if (!settled) {
          settled = true;
          resolve();
        }
      };
      client.on('connect', () => {
        this.snapshot.state = 'connected';
        this.snapshot.connectedAt = new Date().toISOString();
        this.snapshot.connects += 1;
        this.snapshot.lastError = null;
        // MQTT.js schedules the next reconnect at this period when it drops a connection over an oversize packet.
        if (!this.droppedOversize) this.failures = 0;
        client.options.reconnectPeriod = this.retryDelay();
        this.snapshot.retryDelayMs = client.options.reconnectPeriod;
        log.info('connected to MQTT broker', { url: this.snapshot.url, clientId: this.snapshot.clientId });
        for (const fn of this.connectListeners) fn();
        settle();
      });
      // Before MQTT.js handles the CONNACK: it re-sends its stored publishes right after.
      client.on('packetreceive', (packet) => {
        if (packet.cmd !== 'connack') return;
        this.connackSeen = true;
        client.stream.once('end', () => (this.peerClosed = true));
        this.announcedMaxPacket = packet.properties?.maximumPacketSize ?? null;
        this.snapshot.maxPacketBytes = this.packetLimit();
        this.dropStoredOversize(client);
      });
      client.on('error', (err) => {
        if (isOversizeFromBroker(err)) {
          this.droppedOversize = true;
          this.failures += 1;
          this.droppingOversize = true;
        }
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ECONNRESET' || code === 'EPIPE') this.peerClosed = true;
        const d = diagnoseConnectError(err, this.snapshot.url);
        this.snapshot.lastError = d;
        log.warn(`MQTT ${d.message}`, { hint: d.hint });
        settle();
      });
      client.on('reconnect', () => {
        this.snapshot.state = 'reconnecting';
        log.debug('reconnecting to MQTT broker', { delayMs: client.options.reconnectPeriod });
      });
      client.on('close', () => {
        const wasConnected = this.snapshot.state === 'connected';
        if (this.snapshot.state !== 'stopped') this.snapshot.state = 'reconnecting';
        // A working connection that drops retries at the floor; each failed attempt doubles the
        // delay, and so does a connection dropped over an oversize packet (counted at its error).
        if (!this.droppingOversize) {
          this.droppedOversize = false;
          this.failures = wasConnected ? 0 : this.failures + 1;
        }
        this.droppingOversize = false;
        client.options.reconnectPeriod = this.retryDelay();
        this.snapshot.retryDelayMs = client.options.reconnectPeriod;
        if (wasConnected) log.warn('lost the MQTT broker connection; retrying', { url: this.snapshot.url });
        const info: CloseInfo = { opened: this.connackSeen, byPeer: this.peerClosed };
        this.connackSeen = false;
        this.peerClosed = false;
        for (const fn of this.closeListeners) fn(info);
        settle();
      });
      client.on('message', (topic, payload, packet) => {
        for (const fn of this.messageHandlers) {
          // A handler that throws on a message nobody foresaw must cost that message only:
          // not the other handlers, and not the daemon (an uncaught exception stops it).
          try {
            fn(topic, payload, packet);
          } catch (err) {
            this.handlerFailures.warn('an MQTT message could not be handled; ignored', { topic, bytes: payload.length, err });
          }
        }
      });
    });
  }

  state(): ConnectionSnapshot {
    return { ...this.snapshot };
  }

  get connected(): boolean {
    return this.client?.connected === true;
  }

  /** Called on every (re)connect, after MQTT.js has re-sent its in-flight messages. */
  onConnect(fn: () => void): void {
    this.connectListeners.push(fn);
  }

  onClose(fn: (info: CloseInfo) => void): void {
    this.closeListeners.push(fn);
  }

  onMessage(fn: MessageHandler): void {
    this.messageHandlers.push(fn);
  }

  offMessage(fn: MessageHandler): void {
    const i = this.messageHandlers.indexOf(fn);
    if (i >= 0) this.messageHandlers.splice(i, 1);
  }

  /**
   * Resolves with its PUBLISH packet's size when the broker acknowledged it (PUBACK for QoS
   * 1), rejects if the client gave up,
   * with a PacketTooLargeError when it is over the broker's limit or refused for its size, or
   * with a PublishRefusedError when the broker answered with another failure reason code.
   * A topic the broker would take as a protocol error is refused here: the broker would drop
   * the connection, and the client would send the same publish again at every reconnect.
   */
  publish(topic: string, payload: string | Buffer, opts: IClientPublishOptions): Promise<number> {
    const problem = topicNameProblem(topic);
    if (problem) return Promise.reject(new Error(`not published to ${JSON.stringify(topic)}: ${problem}`));
    const client = this.requireClient();
    // Never handed to MQTT.js: it would keep it for the session and send it at every reconnect.
    const limit = this.packetLimit();
    const bytes = publishPacketBytes(topic, payload, opts.qos ?? 0, this.protocolVersion(client));
    if (limit !== null && bytes > limit) return Promise.reject(new PacketTooLargeError(topic, bytes, limit));
    return new Promise((resolve, reject) => {
      client.publish(topic, payload, opts, (err) => {
        if (!err) return resolve(bytes);
        const code = brokerReasonCode(err);
        if (code === PACKET_TOO_LARGE) return reject(new PacketTooLargeError(topic, bytes, null));
        reject(code === null ? err : new PublishRefusedError(topic, code));
      });
    });
  }

  subscribe(topics: ISubscriptionMap): Promise<void> {
    const client = this.requireClient();
    return new Promise((resolve, reject) => {
      client.subscribe(topics, (err, granted) => {
        if (err) return reject(err);
        const refused = (granted ?? []).filter((g) => g.qos === 128 || g.qos > 2);
        if (refused.length > 0) return reject(new Error(`broker refused subscription to ${refused.map((g) => g.topic).join(', ')}`));
        resolve();
      });
    });
  }

  unsubscribe(topics: string[]): Promise<void> {
    const client = this.requireClient();
    return new Promise((resolve, reject) => client.unsubscribe(topics, (err) => (err ? reject(err) : resolve())));
  }

  /** Resolves at the next CONNACK, or rejects after `timeoutMs`. */
  waitConnected(timeoutMs: number): Promise<void> {
    if (this.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.connectListeners.indexOf(done);
        if (i >= 0) this.connectListeners.splice(i, 1);
        reject(new Error(`not connected to ${this.snapshot.url} within ${timeoutMs} ms${this.snapshot.lastError ? `: ${this.snapshot.lastError.message}` : ''}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        const i = this.connectListeners.indexOf(done);
        if (i >= 0) this.connectListeners.splice(i, 1);
        resolve();
      };
      this.connectListeners.push(done);
    });
  }

  /**
   * The last will the next connect carries (the current connection keeps the one it
   * connected with): MQTT.js builds each CONNECT from its options.
   */
  setWill(will: LastWill): void {
    this.requireClient().options.will = { ...will };
  }

  /**
   * Disconnects. `graceful` waits for the broker to acknowledge what is in flight, then sends
   * DISCONNECT (the broker drops our will) — for `GRACEFUL_STOP_MS` at most, then the socket
   * is destroyed. With `force`, or when the connection is down (nothing can be flushed then),
   * the socket is just destroyed, as if the process died (the broker publishes the will).
   * Unacknowledged messages are not confirmed to their senders either way.
   */
  async stop(mode: 'graceful' | 'force' = 'graceful'): Promise<void> {
    const client = this.client;
    this.client = null;
    this.snapshot.state = 'stopped';
    this.connectListeners.length = 0;
    this.closeListeners.length = 0;
    this.messageHandlers.length = 0;
    if (!client) return;
    if (mode === 'graceful' && client.connected) await this.endGracefully(client);
    else await endClient(client, true);
    client.removeAllListeners();
    // end() leaves a no-op error listener behind on purpose; keep one so late socket errors are not thrown.
    client.on('error', () => undefined);
  }

  /**
   * MQTT.js sends DISCONNECT only once every message in flight is acknowledged, and waits for
   * that without limit; end() has cancelled reconnecting, so a broker that went silent would
   * hold the stop forever. Past the bound the socket is destroyed instead: without DISCONNECT
   * the broker publishes our will, so the retained status cannot stay `online`.
   */
  private async endGracefully(client: MqttClient): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    let closed = false;
    let onClose = (): void => undefined;
    const outcome = await Promise.race([
      endClient(client, false).then(() => 'ended' as const),
      new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), GRACEFUL_STOP_MS))),
      // A connection that drops meanwhile cannot bring the acknowledgements any more. (It also
      // closes after DISCONNECT, all acknowledged; end() then calls back a moment later.)
      new Promise<'dropped'>((resolve) => {
        onClose = () => {
          closed = true;
          if (unacknowledged(client) > 0) resolve('dropped');
        };
        client.on('close', onClose);
      }),
    ]);
    clearTimeout(timer);
    const left = unacknowledged(client);
    if (outcome === 'late' && !closed) {
      // Wait for MQTT.js to see the close: it stops its keepalive timer then.
      await new Promise<void>((resolve) => {
        client.once('close', () => resolve());
        client.stream.destroy();
      });
    }
    client.off('close', onClose);
    if (outcome === 'ended') return;
    const where = { url: this.snapshot.url, clientId: this.snapshot.clientId };
    const messages = `${left} message${left === 1 ? '' : 's'}`;
    if (outcome === 'dropped') {
      this.options.logger.warn(`MQTT connection dropped during the graceful stop with ${messages} not acknowledged by the broker; they are not confirmed`, where);
    } else if (left > 0) {
      this.options.logger.warn(
        `MQTT graceful stop cut short after ${GRACEFUL_STOP_MS} ms: the broker had not acknowledged ${messages}, so they are not confirmed; dropped the connection without DISCONNECT (the broker publishes the last will)`,
        where,
      );
    } else {
      this.options.logger.warn(`MQTT graceful stop cut short after ${GRACEFUL_STOP_MS} ms: the broker did not close the connection after our DISCONNECT; dropped it`, where);
    }
  }

  /** The reconnect delay after `failures` failed attempts in a row: doubled each time, capped. */
  private retryDelay(): number {
    const { minDelayMs, maxDelayMs } = this.options.reconnect;
    return Math.min(maxDelayMs, minDelayMs * 2 ** Math.min(Math.max(this.failures - 1, 0), 30));
  }

  /** The smaller of the announced and the configured limit; null when neither is known. */
  private packetLimit(): number | null {
    const limits = [this.announcedMaxPacket, this.options.maxPacketBytes ?? null].filter((n): n is number => n !== null);
    return limits.length > 0 ? Math.min(...limits) : null;
  }

  private protocolVersion(client: MqttClient): number {
    return client.options.protocolVersion ?? 4;
  }

  /**
   * Publishes MQTT.js holds from the last connection that the broker now announces it would
   * refuse (its limit went down across the reconnect): they leave the client's store before it
   * re-sends it, and their senders get a PacketTooLargeError instead of a PUBACK.
   */
  private dropStoredOversize(client: MqttClient): void {
    const limit = this.packetLimit();
    if (limit === null) return;
    this.removeStored(client, (packet) => {
      const bytes = publishPacketBytes(packet.topic, packet.payload, packet.qos, this.protocolVersion(client));
      return bytes > limit ? new PacketTooLargeError(packet.topic, bytes, limit) : null;
    });
  }

  /**
   * Takes a publish MQTT.js holds to send again at the next connect (the same topic and
   * payload) out of its store: its sender gets `reason` instead of a PUBACK. For a message the
   * broker is judged never to take; nothing happens when the client does not hold it.
   */
  withdraw(topic: string, payload: string | Buffer, reason: Error): void {
    const client = this.client;
    if (!client) return;
    const bytes = Buffer.from(payload);
    this.removeStored(client, (packet) => (packet.topic === topic && bytes.equals(Buffer.from(packet.payload)) ? reason : null));
  }

  /** Removes each stored publish `reasonFor` gives a reason for; its sender is told that reason. */
  private removeStored(client: MqttClient, reasonFor: (packet: IPublishPacket) => Error | null): void {
    for (const [key, pending] of Object.entries(client.outgoing)) {
      if (pending.cmd !== 'publish') continue;
      const messageId = Number(key);
      client.outgoingStore.get({ messageId }, (err, packet) => {
        if (err || packet?.cmd !== 'publish') return;
        const reason = reasonFor(packet);
        if (!reason) return;
        const sender = pending.cb;
        // removeOutgoingMessage tells the sender 'Message removed'; it gets the reason instead.
        pending.cb = () => sender(reason);
        client.removeOutgoingMessage(messageId);
      });
    }
  }

  /** The size of a PUBLISH of this on the wire, in the protocol version in use. */
  publishBytes(topic: string, payload: string | Buffer, qos: 0 | 1 | 2): number {
    return publishPacketBytes(topic, payload, qos, this.client ? this.protocolVersion(this.client) : 4);
  }

  private requireClient(): MqttClient {
    if (!this.client) throw new Error('MQTT connection is not started');
    return this.client;
  }
}

/** Resolves when MQTT.js has closed the socket and its stores (`force`: without DISCONNECT). */
function endClient(client: MqttClient, force: boolean): Promise<void> {
  return new Promise((resolve) => client.end(force, {}, () => resolve()));
}

/** QoS 1/2 publishes, subscribes and unsubscribes the broker has not acknowledged yet. */
function unacknowledged(client: MqttClient): number {
  return Object.keys(client.outgoing).length;
}
