import type { Logger } from '../../log/logger.js';
import { fleetLimits, type MqttConfig } from '../config.js';
import { MqttConnection } from '../connection.js';
import { buildClientOptions, defaultClientId } from '../client-options.js';
import { fleetWorkerMaxPacket } from '../incoming-packet-limit.js';
import { FleetWorker, type FleetJobRunner, type FleetWorkerStats } from './fleet-worker.js';
import type { FleetIdentity } from './fleet-identity.js';
import { FleetOfferer, type FleetOffererStats } from './fleet-offerer.js';

/** Jobs run at once per box: the scheduler runs one job at a time. */
const MAX_CONCURRENT = 1;
const GRANT_TIMEOUT_MS = 10_000;
const HAND_BACK_DELAY_MS = 1000;

export interface FleetRunner {
  runJob: FleetJobRunner;
  hasBudget: (waiting: number) => boolean;
}

export interface FleetMembershipOptions {
  config: MqttConfig;
  /** The broker URL the daemon uses. */
  url: string;
  siteId: string;
  /** The daemon's main connection (it carries the status and last will the offerer watches). */
  connection: MqttConnection;
  /** What this box does with a job; null = it offers jobs but takes none. */
  runner: FleetRunner | null;
  /** The group's shared key (`mqtt.fleet.keyFile`); null = messages go unsigned. */
  key: Buffer | null;
  /** This box's own key and the members' (`mqtt.fleet.identity`); null = none. */
  identity: FleetIdentity | null;
  logger: Logger;
}

export interface FleetState {
  group: string;
  worker: FleetWorkerStats | null;
  offerer: FleetOffererStats;
}

/** This box's part in its site group: the offerer for its own backlog, and a worker when it has a runner. */
export class FleetMembership {
  private offerer: FleetOfferer | null = null;
  private workerConnection: MqttConnection | null = null;
  private worker: FleetWorker | null = null;

  constructor(private readonly options: FleetMembershipOptions) {}

  async start(): Promise<void> {
    const { config, url, siteId, logger, runner, key, identity } = this.options;
    const limits = fleetLimits(config.fleet);
    if (!key && !identity) logger.warn('fleet messages are not signed: any client allowed on earshot/jobs/<group>/# can take or answer jobs; give every box of the group its own mqtt.fleet.identity, or the same mqtt.fleet.keyFile', { group: config.fleet.group });
    this.offerer = new FleetOfferer({
      connection: this.options.connection,
      group: config.fleet.group,
      siteId,
      leaseMs: config.fleet.leaseSec * 1000,
      claimTimeoutMs: limits.claimTimeoutMs,
      key,
      identity,
      maxAudioBytes: limits.maxAudioBytes,
      logger,
    });
    await this.offerer.start();
    if (!runner) {
      logger.warn('mqtt.fleet.enabled but no job runner is registered; this box offers jobs and takes none');
      return;
    }
    // A connection of its own with a clean session: when this box dies, its shared
    // subscription dies with it and the broker stops routing offers to it.
    const clientOptions = buildClientOptions({ config, url, clientId: defaultClientId(config, siteId, '-fleet'), properties: { maximumPacketSize: fleetWorkerMaxPacket(config) } });
    clientOptions.clean = true;
    if (clientOptions.properties) clientOptions.properties.sessionExpiryInterval = 0;
    this.workerConnection = new MqttConnection({ url, clientOptions, reconnect: config.reconnect, maxPacketBytes: config.maxPacketBytes, logger });
    await this.workerConnection.start();
    this.worker = new FleetWorker({
      connection: this.workerConnection,
      group: config.fleet.group,
      siteId,
      hasBudget: runner.hasBudget,
      runJob: runner.runJob,
      maxConcurrent: MAX_CONCURRENT,
      maxHeld: limits.maxHeld,
      grantTimeoutMs: GRANT_TIMEOUT_MS,
      handBackDelayMs: HAND_BACK_DELAY_MS,
      key,
      identity,
      maxAudioBytes: limits.maxAudioBytes,
      logger,
    });
    await this.worker.start();
  }

  offers(): FleetOfferer {
    if (!this.offerer) throw new Error('fleet membership is not started');
    return this.offerer;
  }

  state(): FleetState | null {
    if (!this.offerer) return null;
    return { group: this.options.config.fleet.group, worker: this.worker?.stats() ?? null, offerer: this.offerer.stats() };
  }

  async stop(): Promise<void> {
    await this.worker?.stop();
    this.worker = null;
    await this.workerConnection?.stop('graceful');
    this.workerConnection = null;
    await this.offerer?.stop();
    this.offerer = null;
  }
}
