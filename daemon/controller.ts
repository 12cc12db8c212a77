import { mkdirSync } from 'node:fs';
import type { EarshotConfig } from './config/types.js';
import type { LogSink, Logger } from './log/logger.js';
import type { Service } from './service.js';
import type { StatusResult } from './control/methods.js';
import { EventBus } from './bus.js';
import { ControlServer } from './control/server.js';
import { MqttService } from './mqtt/mqtt-service.js';

export interface ControllerOptions {
  config: EarshotConfig;
  logs: LogSink;
  version: string;
}

/**
 * Builds every service once and injects what each needs; starts them in order and stops
 * them in reverse. No service constructs its peers (zigbee2mqtt's controller pattern).
 */
export class Controller {
  readonly bus = new EventBus();
  readonly control: ControlServer;
  readonly mqtt: MqttService;
  private readonly services: Service[];
  private readonly started: Service[] = [];
  private readonly log: Logger;
  private startedAt: Date | undefined;

  constructor(private readonly options: ControllerOptions) {
    const { config, logs } = options;
    this.log = logs.logger('controller');
    this.control = new ControlServer({ config: config.control, logger: logs.logger('control') });
    // Order matters: what publishes comes up before what produces, the control API last so
    // that `earshot status` answering means everything else is ready.
    this.mqtt = new MqttService({ config: config.mqtt, siteId: config.siteId, version: options.version, logger: logs.logger('mqtt'), dataDir: config.dataDir });
    this.services = [
      serviceOf('mqtt', this.mqtt, () => {
        const { connection, embeddedBroker } = this.mqtt.state();
        const where = [connection?.url, embeddedBroker ? 'embedded broker' : undefined].filter(Boolean).join(', ');
        return { state: connection?.state ?? 'stopped', detail: where };
      }),
      this.control,
    ];
    this.control.register('status', { handler: () => this.status() });
  }

  async start(): Promise<void> {
    this.startedAt = new Date();
    mkdirSync(this.options.config.dataDir, { recursive: true });
    // The control socket comes up last; start the others first.
    const order = [...this.services.filter((s) => s !== this.control), this.control];
    for (const service of order) {
      this.log.debug(`starting ${service.name}`);
      try {
        await service.start();
      } catch (err) {
        this.log.error(`${service.name} failed to start`, { err });
        await this.stop();
        throw err;
      }
      this.started.push(service);
      this.bus.emit('componentState', { component: service.name, state: service.state?.().state ?? 'running' });
    }
  }

  /** Stops what was started, in reverse order; one service failing to stop does not keep the others up. */
  async stop(): Promise<void> {
    while (this.started.length > 0) {
      const service = this.started.pop()!;
      try {
        await service.stop();
        this.log.debug(`stopped ${service.name}`);
      } catch (err) {
        this.log.warn(`${service.name} did not stop cleanly`, { err });
      }
    }
  }

  status(): StatusResult {
    const startedAt = this.startedAt ?? new Date();
    return {
      site: this.options.config.siteId,
      version: this.options.version,
      pid: process.pid,
      startedAt: startedAt.toISOString(),
      uptimeSec: Math.round((Date.now() - startedAt.getTime()) / 100) / 10,
      components: this.services.map((s) => {
        const st = s.state?.() ?? { state: this.started.includes(s) ? 'running' : 'stopped' };
        return st.detail ? { name: s.name, state: st.state, detail: st.detail } : { name: s.name, state: st.state };
      }),
    };
  }
}

/** Adapts a service object whose own `state()` says more than the status line needs. */
function serviceOf(name: string, target: { start(): Promise<void>; stop(): Promise<void> }, state: () => { state: string; detail?: string }): Service {
  return { name, start: () => target.start(), stop: () => target.stop(), state };
}
