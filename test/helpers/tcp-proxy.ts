import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP relay in front of a broker, so a test can drop a client's connection the way a
 * network does (no DISCONNECT; the broker sees the socket close and publishes the will)
 * while the client lives on and dials again through the relay.
 */
export class TcpProxy {
  private server: Server | null = null;
  private readonly pairs = new Set<[Socket, Socket]>();
  private dropAfterConnectMs: number | null = null;
  port = 0;

  constructor(private targetPort: number, private readonly targetHost = '127.0.0.1') {}

  /** New connections go to another port from now on (another broker); open ones stay where they are. */
  retarget(port: number): void {
    this.targetPort = port;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    const server = createServer((client) => {
      const upstream = connect(this.targetPort, this.targetHost);
      const pair: [Socket, Socket] = [client, upstream];
      this.pairs.add(pair);
      const close = () => {
        this.pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      };
      client.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
      upstream.pipe(client);
      if (this.dropAfterConnectMs === null) return void client.pipe(upstream);
      // Only the client's first write (its CONNECT) gets through: what it sends after the
      // broker's answer is lost, and the path closes a moment later.
      client.once('data', (connect: Buffer) => {
        upstream.write(connect);
        client.resume();
      });
      setTimeout(close, this.dropAfterConnectMs);
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const address = server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
    return this;
  }

  /**
   * A path that fails right after each connect: new connections relay the client's CONNECT
   * and the broker's answers, then lose what the client sends, and close after `ms`; null
   * relays new connections whole again.
   */
  failAfterConnect(ms: number | null): void {
    this.dropAfterConnectMs = ms;
  }

  /** Drops every connection now open; new ones are relayed as before. */
  cut(): number {
    const n = this.pairs.size;
    for (const [client, upstream] of [...this.pairs]) {
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
    return n;
  }

  /**
   * Keeps every connection now open but relays nothing more either way, like a broker that
   * hangs or a path that goes dead: the client still counts itself connected and hears no
   * acknowledgement. What arrives is read and dropped, so a close on one side still closes
   * the other (the broker then sees the client go). New connections are relayed as before.
   */
  stall(): number {
    for (const [client, upstream] of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      // unpipe() pauses a stream left without a destination; one that is read to no end
      // still sees the other side close.
      client.resume();
      upstream.resume();
    }
    return this.pairs.size;
  }

  /**
   * Keeps every connection now open and relays the client's packets to the broker, but drops
   * what the broker sends back: the broker delivers the client's messages to subscribers
   * while the client never hears their PUBACK (a lost acknowledgement). New connections are
   * relayed whole.
   */
  dropReplies(): number {
    for (const [client, upstream] of this.pairs) {
      upstream.unpipe(client);
      // Read to no end, so that the broker closing still closes the client's side.
      upstream.resume();
    }
    return this.pairs.size;
  }

  async stop(): Promise<void> {
    this.cut();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
