import { join } from 'node:path';
import type { Logger } from '../log/logger.js';
import type { MqttConfig } from './config.js';
import { EmbeddedBroker, type BrokerAddress } from './broker/embedded-broker.js';
import { MqttConnection, type ConnectionSnapshot } from './connection.js';
import { buildClientOptions, defaultClientId, effectiveConfig } from './client-options.js';
import { mainConnectionMaxPacket } from './incoming-packet-limit.js';
import { buildStatus, newPresence, type StatusPayload } from './payloads/status.js';
import { HERMES_TEXT_CAPTURED } from './integrations/hermes.js';
import { PresenceSequence } from './presence-sequence.js';
import { siteTopics, TOPIC_QOS } from './topics.js';
import type { LastWill } from './client-options.js';
import { sealFleetMessage, type FleetKey } from './fleet/fleet-signature.js';
import { loadFleetIdentity } from './fleet/fleet-identity-load.js';
import { outboxStoreFor, type OutboxStore } from './outbox/outbox-store.js';
import { OutboxDrainer } from './outbox/outbox-drainer.js';
import type { RejectedSelection, RejectedShelfResult } from './outbox/rejected-shelf.js';
import type { OutboxStats } from './outbox/outbox-stats.js';
import type { PublishRefusal } from './outbox/publish-refusals.js';
import { TranscriptPublisher, type TranscriptSink } from './transcript-publisher.js';
import type { TranscriptPayload } from './payloads/transcript.js';
import type { PartialPayload } from './payloads/partial.js';
import { buildTelemetry, type TelemetryInput } from './payloads/telemetry.js';
import { RemoteCommands, type CommandDispatcher, type RemoteCommandStats } from './commands/remote-commands.js';
import { ConfigFileError } from '../config/errors.js';
import { loadCommandKey } from './commands/command-key.js';
import type { FleetJobRunner } from './fleet/fleet-worker.js';
import type { FleetOfferer } from './fleet/fleet-offerer.js';
import { FleetMembership, type FleetRunner, type FleetState } from './fleet/fleet-membership.js';
import { IntegrationPublisher } from './integrations/integration-publisher.js';
import { discoveryNode } from './integrations/home-assistant.js';

export interface MqttServiceOptions {
  /** The validated `mqtt` config section. */
  config: MqttConfig;
  siteId: string;
  /** earshotd version, published in the status. */
  version: string;
  logger: Logger;
  /** The daemon's state directory; the outbox lives in `<dataDir>/outbox`. */
  dataDir: string;
  /** Ids of the daemon's live (command, socket) sources, whose speech answers Hermes' listening sessions. None when not given. */
  liveSources?: readonly string[];
}

/** Messages published and not yet acknowledged at once from the outbox. */
const OUTBOX_WINDOW = 32;
/** Transcripts the broker refused (an ACL) are sent again this often, in case it was fixed. */
const REFUSED_RETRY_MS = 30_000;
const EXPIRE_EVERY_MS = 60_000;

export interface MqttServiceState {
  /** The embedded broker, when this daemon runs one. */
  embeddedBroker: { url: string; clients: number } | null;
  connection: ConnectionSnapshot | null;
  outbox: OutboxStats | null;
  /** Transcripts the broker refuses (MQTT 5 reason code, such as an ACL's Not authorized); null while it takes them. */
  publishRefused: PublishRefusal | null;
  /** Remote commands: null when `mqtt.commands.enabled` is off. */
  commands: RemoteCommandStats | null;
  /** Fleet work sharing: null when `mqtt.fleet.enabled` is off. */
  fleet: FleetState | null;
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
  private fleetRunner: FleetRunner | null = null;
  private fleetMembership: FleetMembership | null = null;
  private integrations: IntegrationPublisher | null = null;
  /**
   * The presence of the connection now up (null before the first), and the one the next
   * connect carries in its last will. A fresh one per connection: an offering site can then
   * tell a late or replayed `offline` of an earlier connection from this one's.
   */
  private presence: { live: string | null; next: string } = { live: null, next: newPresence() };
  /** Status messages are signed with the fleet group's key, when the box has one. */
  private statusSigning: FleetKey = { group: '', key: null };

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
      if (!config.commands.keyFile) throw new ConfigFileError('mqtt.commands.enabled is true but mqtt.commands.keyFile is null; point it at a file holding the shared key (chmod 600)');
      commandKey = loadCommandKey(config.commands.keyFile);
    }
    const fleetKey = config.fleet.enabled && config.fleet.keyFile ? loadCommandKey(config.fleet.keyFile, { setting: 'mqtt.fleet.keyFile' }) : null;
    const identity = config.fleet.enabled && config.fleet.identity ? loadFleetIdentity(config.fleet.identity, this.options.siteId) : null;
    this.statusSigning = { group: config.fleet.group, key: fleetKey, identity };
    // Open the outbox first: what the last run left behind goes out at the first connect.
    const outbox = outboxStoreFor(this.options.dataDir, config.outbox, logger.child('outbox'));
    await outbox.open();
    this.outbox = outbox;
    let url = config.url;
    if (url === null) {
      // Topics outside earshot/<siteId>/ that only earshotd writes, when it does: its Home
      // Assistant discovery configs, and Hermes' textCaptured (earshotd is then the ASR, so a
      // message there from anyone else is a forgery a voice assistant would act on).
      const ownPrefixes = [
        ...(config.homeAssistant.enabled ? [`${config.homeAssistant.discoveryPrefix}/sensor/${discoveryNode(this.options.siteId)}/`] : []),
        ...(config.hermes.enabled ? [HERMES_TEXT_CAPTURED] : []),
      ];
      this.broker = new EmbeddedBroker({ ...config.embedded, siteId: this.options.siteId, daemonClientId: this.clientId, ownPrefixes, logger: logger.child('broker') });
      url = (await this.broker.start()).url;
    }
    const topics = this.topics;
    const sequence = new PresenceSequence(join(this.options.dataDir, 'presence-sequence'), logger);
    this.presence = { live: null, next: newPresence(sequence.next()) };
    const clientOptions = buildClientOptions({
      config,
      url,
      clientId: this.clientId,
      will: this.lastWill(this.presence.next),
      properties: { maximumPacketSize: mainConnectionMaxPacket(config) },
    });
    // On its own broker the daemon logs in as itself, whatever mqtt.username says (that is
    // for the CLI and for external brokers).
    if (this.broker) Object.assign(clientOptions, this.broker.internalCredentials());
    const connection = new MqttConnection({ url, clientOptions, reconnect: config.reconnect, maxPacketBytes: this.packetLimit(config), logger: logger.child('client') });
    this.connection = connection;
    const integrations = new IntegrationPublisher({ config, siteId: this.options.siteId, version: this.options.version, liveSources: this.options.liveSources ?? [], logger: logger.child('integrations') });
    this.integrations = integrations;
    connection.onConnect(() => {
      // This connection carries the will of `next`; the one after it gets a fresh id.
      const live = this.presence.next;
      this.presence = { live, next: newPresence(sequence.next()) };
      connection.setWill(this.lastWill(this.presence.next));
      connection
        .publish(topics.status, this.statusMessage('online', live), TOPIC_QOS.status)
        .catch((err) => logger.warn('could not publish online status', { err }));
      integrations.onConnect(connection);
    });
    this.drainer = new OutboxDrainer({ store: outbox, connection, window: OUTBOX_WINDOW, retryRefusedMs: REFUSED_RETRY_MS, logger: logger.child('outbox') });
    this.transcripts = new TranscriptPublisher({ siteId: this.options.siteId, store: outbox, drainer: this.drainer, logger });
    await connection.start();
    this.drainer.start();
    await integrations.start(connection);
    if (commandKey) {
      this.commands = new RemoteCommands({
        siteId: this.options.siteId,
        connection,
        key: commandKey,
        maxSkewSec: config.commands.maxSkewSec,
        maxBytes: config.commands.maxBytes,
        logger: logger.child('cmd'),
        dispatch: (verb, params) => {
          if (!this.dispatcher) return Promise.reject(Object.assign(new Error('this daemon has no command dispatcher yet'), { code: 'unavailable' }));
          return this.dispatcher(verb, params);
        },
      });
      await this.commands.start();
    }
    if (config.fleet.enabled) await this.startFleet(config, url, connection, this.statusSigning);
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
    if (this.connection) this.integrations?.afterTranscript(this.connection, t);
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
  onFleetJob(runJob: FleetJobRunner, hasBudget: (waiting: number) => boolean): void {
    this.fleetRunner = { runJob, hasBudget };
  }

  /** Offers jobs to this box's fleet group (`mqtt.fleet.group`); each resolves with its result. */
  fleet(): FleetOfferer {
    if (!this.fleetMembership) throw new Error('fleet work sharing is off; set mqtt.fleet.enabled (with an external broker that supports shared subscriptions)');
    return this.fleetMembership.offers();
  }

  private async startFleet(config: MqttConfig, url: string, connection: MqttConnection, signing: FleetKey): Promise<void> {
    const log = this.options.logger.child('fleet');
    if (config.url === null) {
      // aedes 1.x has no shared subscriptions: every member would get every job.
      log.error('mqtt.fleet.enabled needs an external broker with MQTT 5 shared subscriptions (e.g. Mosquitto); fleet work sharing stays off');
      return;
    }
    this.fleetMembership = new FleetMembership({ config, url, siteId: this.options.siteId, connection, runner: this.fleetRunner, key: signing.key, identity: signing.identity ?? null, logger: log });
    await this.fleetMembership.start();
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

  /** Puts transcripts kept in outbox/rejected/ back into the outbox, and sends them. */
  async requeueRejected(sel: RejectedSelection): Promise<RejectedShelfResult> {
    const result = await this.requireOutbox().requeue(sel);
    this.drainer?.pump();
    return result;
  }

  deleteRejected(sel: RejectedSelection): Promise<RejectedShelfResult> {
    return this.requireOutbox().deleteRejected(sel);
  }

  private requireOutbox(): OutboxStore {
    if (!this.outbox) throw new Error('the MQTT outbox is not open');
    return this.outbox;
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
      publishRefused: this.drainer?.refusal() ?? null,
      commands: this.commands?.stats() ?? null,
      fleet: this.fleetMembership?.state() ?? null,
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
    await this.fleetMembership?.stop();
    this.fleetMembership = null;
    this.integrations = null;
    this.drainer?.stop();
    this.drainer = null;
    this.transcripts = null;
    const connection = this.connection;
    this.connection = null;
    if (connection) {
      if (connection.connected) {
        // Publish offline ourselves: a graceful DISCONNECT makes the broker discard the will.
        await withTimeout(
          connection.publish(this.topics.status, this.statusMessage('offline', this.presence.live, 'shutdown'), TOPIC_QOS.status),
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

  /** The embedded broker (MQTT 3.1.1, announces nothing) closes a connection over its limit: the daemon's own included. */
  private packetLimit(config: MqttConfig): number | null {
    if (!this.broker) return config.maxPacketBytes;
    return Math.min(config.embedded.maxPacketBytes, config.maxPacketBytes ?? Infinity);
  }

  private lastWill(presence: string): LastWill {
    return { topic: this.topics.status, payload: this.statusMessage('offline', presence, 'connection lost'), ...TOPIC_QOS.status };
  }

  private statusMessage(state: 'online' | 'offline', presence: string | null, reason?: string): string {
    const input: Parameters<typeof buildStatus>[1] = {
      siteId: this.options.siteId,
      version: this.options.version,
      clientId: this.clientId,
    };
    if (this.startedAt) input.startedAt = this.startedAt;
    if (reason) input.reason = reason;
    if (presence) input.presence = presence;
    return JSON.stringify(sealFleetMessage<StatusPayload>(this.statusSigning, 'status', buildStatus(state, input)));
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
