import { join } from 'node:path';
import type { Logger } from '../log/logger.js';
import type { MqttConfig } from './config.js';
import { EmbeddedBroker, type BrokerAddress } from './embedded-broker.js';
import { MqttConnection, type ConnectionSnapshot } from './connection.js';
import { buildClientOptions, defaultClientId, effectiveConfig } from './client-options.js';
import { buildStatus, type StatusPayload } from './payloads/status.js';
import { siteTopics, TOPIC_QOS } from './topics.js';
import { OutboxStore } from './outbox/outbox-store.js';
import { OutboxDrainer } from './outbox/outbox-drainer.js';
import type { OutboxStats } from './outbox/outbox-stats.js';
import { TranscriptPublisher, type TranscriptSink } from './transcript-publisher.js';
import type { TranscriptPayload } from './payloads/transcript.js';
import type { PartialPayload } from './payloads/partial.js';
import { buildTelemetry, type TelemetryInput } from './payloads/telemetry.js';
import { RemoteCommands, type CommandDispatcher, type RemoteCommandStats } from './commands/remote-commands.js';
import { loadCommandKey } from './commands/command-key.js';
import { FleetWorker, type FleetJobRunner, type FleetWorkerStats } from './fleet/fleet-worker.js';
import { FleetOfferer, type FleetOffererStats } from './fleet/fleet-offerer.js';
import { discoveryMessages, lastTranscriptState, lastTranscriptTopic } from './integrations/home-assistant.js';
import { HERMES_TEXT_CAPTURED, hermesTextCaptured } from './integrations/hermes.js';

export interface MqttServiceOptions {
  /** The validated `mqtt` config section. */
  config: MqttConfig;
  siteId: string;
  /** earshotd version, published in the status. */
  version: string;
  logger: Logger;
  /** The daemon's state directory; the outbox lives in `<dataDir>/outbox`. */
  dataDir: string;
}

/** Messages published and not yet acknowledged at once from the outbox. */
const OUTBOX_WINDOW = 32;
const EXPIRE_EVERY_MS = 60_000;
/** Fleet: an offer nobody claimed in this time is offered again (e.g. no member was online). */
const FLEET_CLAIM_TIMEOUT_MS = 30_000;
/** Fleet: jobs run at once, and granted jobs held waiting, per box. */
const FLEET_MAX_CONCURRENT = 1;
const FLEET_MAX_HELD = 32;
const FLEET_GRANT_TIMEOUT_MS = 10_000;
const FLEET_HAND_BACK_DELAY_MS = 1000;

export interface MqttServiceState {
  /** The embedded broker, when this daemon runs one. */
  embeddedBroker: { url: string; clients: number } | null;
  connection: ConnectionSnapshot | null;
  outbox: OutboxStats | null;
  /** Remote commands: null when `mqtt.commands.enabled` is off. */
  commands: RemoteCommandStats | null;
  /** Fleet work sharing: null when `mqtt.fleet.enabled` is off. */
  fleet: { group: string; worker: FleetWorkerStats | null; offerer: FleetOffererStats } | null;
}

/**
 * earshotd's MQTT presence: starts the embedded broker when no external one is configured,
 * connects with a retained `offline` last will, and publishes `online` retained on every
 * (re)connect — so subscribers always see the true state, also after a crash.
 */
export class MqttService implements TranscriptSink {
  private broker: EmbeddedBroker | null = null;
  private connection: MqttConnection | null = null;
  private startedAt: Date | null = null;
  private outbox: OutboxStore | null = null;
  private drainer: OutboxDrainer | null = null;
  private transcripts: TranscriptPublisher | null = null;
  private expireTimer: NodeJS.Timeout | null = null;
  private telemetryTimer: NodeJS.Timeout | null = null;
  private telemetrySource: (() => TelemetryInput | Promise<TelemetryInput>) | null = null;
  private commands: RemoteCommands | null = null;
  private dispatcher: CommandDispatcher | null = null;
  private fleetRunner: { runJob: FleetJobRunner; hasBudget: () => boolean } | null = null;
  private fleetConnection: MqttConnection | null = null;
  private fleetWorker: FleetWorker | null = null;
  private offerer: FleetOfferer | null = null;

  constructor(private readonly options: MqttServiceOptions) {}

  get topics() {
    return siteTopics(this.options.siteId);
  }

  get clientId(): string {
    return defaultClientId(this.options.config, this.options.siteId);
  }

  async start(): Promise<void> {
    try {
      await this.startParts();
    } catch (err) {
      // The controller only stops services that started: release what did come up.
      await this.stop().catch(() => undefined);
      throw err;
    }
  }

  private async startParts(): Promise<void> {
    const { logger } = this.options;
    const config = effectiveConfig(this.options.config);
    this.startedAt = new Date();
    // A bad key file is a config error: fail before anything is started.
    let commandKey: Buffer | null = null;
    if (config.commands.enabled) {
      if (!config.commands.keyFile) throw new Error('mqtt.commands.enabled is true but mqtt.commands.keyFile is null; point it at a file holding the shared key (chmod 600)');
      commandKey = loadCommandKey(config.commands.keyFile);
    }
    // Open the outbox first: what the last run left behind goes out at the first connect.
    const outbox = new OutboxStore({
      dir: join(this.options.dataDir, 'outbox'),
      maxBytes: config.outbox.maxBytes,
      maxAgeMs: config.outbox.maxAgeHours * 3600_000,
      logger: logger.child('outbox'),
    });
    await outbox.open();
    this.outbox = outbox;
    let url = config.url;
    if (url === null) {
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
      if (config.homeAssistant.enabled) this.publishDiscovery(connection, config.homeAssistant.discoveryPrefix);
    });
    this.drainer = new OutboxDrainer({ store: outbox, connection, window: OUTBOX_WINDOW, logger: logger.child('outbox') });
    this.transcripts = new TranscriptPublisher({ siteId: this.options.siteId, store: outbox, drainer: this.drainer, logger });
    await connection.start();
    this.drainer.start();
    if (commandKey) {
      this.commands = new RemoteCommands({
        siteId: this.options.siteId,
        connection,
        key: commandKey,
        maxSkewSec: config.commands.maxSkewSec,
        logger: logger.child('cmd'),
        dispatch: (verb, params) => {
          if (!this.dispatcher) return Promise.reject(Object.assign(new Error('this daemon has no command dispatcher yet'), { code: 'unavailable' }));
          return this.dispatcher(verb, params);
        },
      });
      await this.commands.start();
    }
    if (config.fleet.enabled) await this.startFleet(config, url);
    outbox.expire();
    this.expireTimer = setInterval(() => outbox.expire(), EXPIRE_EVERY_MS);
    this.expireTimer.unref();
    if (config.telemetryIntervalSec > 0) {
      this.telemetryTimer = setInterval(() => void this.sendTelemetry(), config.telemetryIntervalSec * 1000);
      this.telemetryTimer.unref();
    }
  }

  /** Resolves once the transcript is fsynced in the outbox; it is published as soon as the broker is reachable. */
  async publishTranscript(t: TranscriptPayload): Promise<void> {
    if (!this.transcripts) throw new Error('MqttService is not started; cannot accept transcripts');
    await this.transcripts.publishTranscript(t);
    this.publishIntegrations(t);
  }

  /** Home Assistant's last-transcript sensor and Rhasspy Hermes: best effort, not kept while offline. */
  private publishIntegrations(t: TranscriptPayload): void {
    const { config, logger } = this.options;
    const connection = this.connection;
    if (!connection?.connected) return;
    // Retained messages go at QoS 1: aedes does not forward a retained QoS 0 publish to live subscribers.
    const send = (topic: string, payload: unknown, retain: boolean) =>
      connection.publish(topic, JSON.stringify(payload), { qos: retain ? 1 : 0, retain }).catch((err) => logger.debug('integration message not published', { topic, err }));
    if (config.homeAssistant.enabled) void send(lastTranscriptTopic(this.options.siteId), lastTranscriptState(t), true);
    if (config.hermes.enabled) void send(HERMES_TEXT_CAPTURED, hermesTextCaptured(t), false);
  }

  private publishDiscovery(connection: MqttConnection, prefix: string): void {
    for (const m of discoveryMessages(this.options.siteId, this.options.version, prefix)) {
      connection.publish(m.topic, JSON.stringify(m.payload), { qos: 1, retain: true }).catch((err) => this.options.logger.warn('Home Assistant discovery not published', { topic: m.topic, err }));
    }
  }

  /** Best effort (QoS 0, not kept while offline): a partial is stale by the time the broker is back. */
  publishPartial(p: PartialPayload): void {
    const connection = this.connection;
    if (!connection?.connected) return;
    connection.publish(this.topics.partial(p.sourceId), JSON.stringify(p), TOPIC_QOS.partial).catch(() => undefined);
  }

  /**
   * The daemon's control-API dispatcher, run for each authorized `cmd/<verb>` (verb = the
   * control method name). Errors with a string `code` are replied with that code.
   */
  onCommand(dispatch: CommandDispatcher): void {
    this.dispatcher = dispatch;
  }

  /**
   * What this box does with a job taken from its fleet group, and whether the scheduler has
   * budget for one now. Set before `start()`; without it the box offers jobs but takes none.
   */
  onFleetJob(runJob: FleetJobRunner, hasBudget: () => boolean): void {
    this.fleetRunner = { runJob, hasBudget };
  }

  /** Offers jobs to this box's fleet group (`mqtt.fleet.group`); each resolves with its result. */
  fleet(): FleetOfferer {
    if (!this.offerer) throw new Error('fleet work sharing is off; set mqtt.fleet.enabled (with an external broker that supports shared subscriptions)');
    return this.offerer;
  }

  private async startFleet(config: MqttConfig, url: string): Promise<void> {
    const { logger, siteId } = this.options;
    const log = logger.child('fleet');
    if (config.url === null) {
      // aedes 1.x has no shared subscriptions: every member would get every job.
      log.error('mqtt.fleet.enabled needs an external broker with MQTT 5 shared subscriptions (e.g. Mosquitto); fleet work sharing stays off');
      return;
    }
    this.offerer = new FleetOfferer({
      connection: this.requireConnection(),
      group: config.fleet.group,
      siteId,
      leaseMs: config.fleet.leaseSec * 1000,
      claimTimeoutMs: FLEET_CLAIM_TIMEOUT_MS,
      logger: log,
    });
    await this.offerer.start();
    if (!this.fleetRunner) {
      log.warn('mqtt.fleet.enabled but no job runner is registered; this box offers jobs and takes none');
      return;
    }
    // A connection of its own with a clean session: when this box dies, its shared
    // subscription dies with it and the broker stops routing offers to it.
    const clientOptions = buildClientOptions({ config, url, clientId: defaultClientId(config, siteId, '-fleet') });
    clientOptions.clean = true;
    if (clientOptions.properties) clientOptions.properties.sessionExpiryInterval = 0;
    this.fleetConnection = new MqttConnection({ url, clientOptions, reconnect: config.reconnect, logger: log });
    await this.fleetConnection.start();
    this.fleetWorker = new FleetWorker({
      connection: this.fleetConnection,
      group: config.fleet.group,
      siteId,
      hasBudget: this.fleetRunner.hasBudget,
      runJob: this.fleetRunner.runJob,
      maxConcurrent: FLEET_MAX_CONCURRENT,
      maxHeld: FLEET_MAX_HELD,
      grantTimeoutMs: FLEET_GRANT_TIMEOUT_MS,
      handBackDelayMs: FLEET_HAND_BACK_DELAY_MS,
      logger: log,
    });
    await this.fleetWorker.start();
  }

  /** Where periodic telemetry comes from (the scheduler's view of power, heat, carbon, model, queue). */
  setTelemetrySource(source: () => TelemetryInput | Promise<TelemetryInput>): void {
    this.telemetrySource = source;
  }

  /** Publishes one telemetry message now (also called by the timer). */
  async sendTelemetry(): Promise<void> {
    const connection = this.connection;
    if (!this.telemetrySource || !connection?.connected) return;
    try {
      const payload = buildTelemetry(this.options.siteId, await this.telemetrySource(), this.outbox?.depth ?? 0);
      await connection.publish(this.topics.telemetry, JSON.stringify(payload), TOPIC_QOS.telemetry);
    } catch (err) {
      this.options.logger.warn('telemetry not published', { err });
    }
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
      outbox: this.outbox?.stats() ?? null,
      commands: this.commands?.stats() ?? null,
      fleet: this.offerer ? { group: this.options.config.fleet.group, worker: this.fleetWorker?.stats() ?? null, offerer: this.offerer.stats() } : null,
    };
  }

  async stop(): Promise<void> {
    if (this.expireTimer) clearInterval(this.expireTimer);
    if (this.telemetryTimer) clearInterval(this.telemetryTimer);
    this.expireTimer = null;
    this.telemetryTimer = null;
    this.telemetrySource = null;
    await this.commands?.stop();
    this.commands = null;
    await this.fleetWorker?.stop();
    this.fleetWorker = null;
    await this.fleetConnection?.stop('graceful');
    this.fleetConnection = null;
    await this.offerer?.stop();
    this.offerer = null;
    this.drainer?.stop();
    this.drainer = null;
    this.transcripts = null;
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
    const outbox = this.outbox;
    this.outbox = null;
    await outbox?.close();
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
