import type { Logger } from '../log/logger.js';
import type { MqttConfig } from './config.js';
import { EmbeddedBroker, type BrokerAddress } from './embedded-broker.js';
import { MqttConnection, type ConnectionSnapshot } from './connection.js';
import { buildClientOptions, defaultClientId } from './client-options.js';
import { buildStatus, type StatusPayload } from './payloads/status.js';
import { siteTopics, TOPIC_QOS } from './topics.js';

export interface MqttServiceOptions {
  /** The validated `mqtt` config section. */
  config: MqttConfig;
  siteId: string;
  /** earshotd version, published in the status. */
  version: string;
  logger: Logger;
}

export interface MqttServiceState {
  /** The embedded broker, when this daemon runs one. */
  embeddedBroker: { url: string; clients: number } | null;
  connection: ConnectionSnapshot | null;
}

/**
 * earshotd's MQTT presence: starts the embedded broker when no external one is configured,
 * connects with a retained `offline` last will, and publishes `online` retained on every
 * (re)connect — so subscribers always see the true state, also after a crash.
 */
export class MqttService {
  private broker: EmbeddedBroker | null = null;
  private connection: MqttConnection | null = null;
  private startedAt: Date | null = null;

  constructor(private readonly options: MqttServiceOptions) {}

  get topics() {
    return siteTopics(this.options.siteId);
  }

  get clientId(): string {
    return defaultClientId(this.options.config, this.options.siteId);
  }

  async start(): Promise<void> {
    const { logger } = this.options;
    let { config } = this.options;
    this.startedAt = new Date();
    let url = config.url;
    if (url === null) {
      // aedes speaks MQTT 3.1.1 only (MQTT 5 is "not supported yet" in aedes 1.x).
      config = { ...config, protocolVersion: 4 };
      this.broker = new EmbeddedBroker({ ...config.embedded, logger: logger.child('broker') });
      url = (await this.broker.start()).url;
    }
    const topics = this.topics;
    const clientOptions = buildClientOptions({
      config,
      url,
      clientId: this.clientId,
      will: { topic: topics.status, payload: JSON.stringify(this.status('offline', 'connection lost')), ...TOPIC_QOS.status },
    });
    const connection = new MqttConnection({ url, clientOptions, reconnect: config.reconnect, logger: logger.child('client') });
    this.connection = connection;
    connection.onConnect(() => {
      connection
        .publish(topics.status, JSON.stringify(this.status('online')), TOPIC_QOS.status)
        .catch((err) => logger.warn('could not publish online status', { err }));
    });
    await connection.start();
  }

  /** The embedded broker's address, or null when an external broker is used. */
  embeddedBrokerAddress(): BrokerAddress | null {
    return this.broker?.address() ?? null;
  }

  /** The live connection, for the publishers built on it (outbox, commands, fleet). */
  requireConnection(): MqttConnection {
    if (!this.connection) throw new Error('MqttService is not started');
    return this.connection;
  }

  state(): MqttServiceState {
    const address = this.broker?.address();
    return {
      embeddedBroker: address && this.broker ? { url: address.url, clients: this.broker.connectedClients() } : null,
      connection: this.connection?.state() ?? null,
    };
  }

  async stop(): Promise<void> {
    const connection = this.connection;
    this.connection = null;
    if (connection) {
      if (connection.connected) {
        // Publish offline ourselves: a graceful DISCONNECT makes the broker discard the will.
        await withTimeout(
          connection.publish(this.topics.status, JSON.stringify(this.status('offline', 'shutdown')), TOPIC_QOS.status),
          2000,
        ).catch((err) => this.options.logger.warn('could not publish offline status', { err }));
      }
      await connection.stop('graceful');
    }
    const broker = this.broker;
    this.broker = null;
    await broker?.stop();
  }

  private status(state: 'online' | 'offline', reason?: string): StatusPayload {
    const input: Parameters<typeof buildStatus>[1] = {
      siteId: this.options.siteId,
      version: this.options.version,
      clientId: this.clientId,
    };
    if (this.startedAt) input.startedAt = this.startedAt;
    if (reason) input.reason = reason;
    return buildStatus(state, input);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
