import { createServer, type Server, type Socket, type AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import type { Logger } from '../log/logger.js';

export interface EmbeddedBrokerOptions {
  /** Interface to listen on; loopback by default in the config so the broker is not exposed. */
  host: string;
  /** TCP port; 0 picks a free port (read it back from `address()` after `start()`). */
  port: number;
  logger: Logger;
}

export interface BrokerAddress {
  host: string;
  port: number;
  /** `mqtt://host:port`, ready for an MQTT client. */
  url: string;
}

/**
 * The broker earshotd runs itself when no external broker is configured (`mqtt.url` null):
 * aedes over a plain `net` server. It keeps every accepted socket so that `stop()` can close
 * them all — otherwise a half-open client would keep the port (and the process) alive.
 */
export class EmbeddedBroker {
  private aedes: Aedes | null = null;
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private bound: BrokerAddress | null = null;

  constructor(private readonly options: EmbeddedBrokerOptions) {}

  async start(): Promise<BrokerAddress> {
    if (this.bound) return this.bound;
    const log = this.options.logger;
    const aedes = await Aedes.createBroker();
    aedes.on('clientError', (client, err) => log.debug('client error', { clientId: client.id, err }));
    aedes.on('connectionError', (_client, err) => log.debug('connection error', { err }));
    const server = createServer((socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      aedes.handle(socket);
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.options.port, this.options.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      const e = err as NodeJS.ErrnoException;
      const hint =
        e.code === 'EADDRINUSE'
          ? `port ${this.options.port} is taken; set mqtt.embedded.port to a free port (0 picks one) or stop the other broker`
          : 'check mqtt.embedded.host and mqtt.embedded.port';
      throw new Error(`embedded MQTT broker cannot listen on ${this.options.host}:${this.options.port}: ${e.message}; ${hint}`);
    }
    server.on('error', (err) => log.error('embedded broker server error', { err }));
    const addr = server.address() as AddressInfo;
    this.aedes = aedes;
    this.server = server;
    this.bound = { host: this.options.host, port: addr.port, url: `mqtt://${formatHost(this.options.host)}:${addr.port}` };
    log.info('embedded MQTT broker listening', { url: this.bound.url });
    return this.bound;
  }

  /** Where the broker listens, or null before `start()` / after `stop()`. */
  address(): BrokerAddress | null {
    return this.bound;
  }

  /** Number of MQTT clients connected right now (for `earshot status`). */
  connectedClients(): number {
    return this.aedes?.connectedClients ?? 0;
  }

  async stop(): Promise<void> {
    const { aedes, server } = this;
    this.aedes = null;
    this.server = null;
    this.bound = null;
    if (server) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of this.sockets) socket.destroy();
      this.sockets.clear();
      await closed;
    }
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
    if (server) this.options.logger.info('embedded MQTT broker stopped');
  }
}

/** IPv6 literals need brackets in a URL. */
function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
