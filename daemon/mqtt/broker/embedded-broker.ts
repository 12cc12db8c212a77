import { createServer, type Server, type Socket, type AddressInfo } from 'node:net';
import { Duplex } from 'node:stream';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createRequire } from 'node:module';
import { Aedes, type Client } from 'aedes';
import type { Logger } from '../../log/logger.js';
import { throttledWarnings, type ThrottledWarnings } from '../../log/throttled-warnings.js';
import { PasswordFile } from './password-file.js';
import { outsiderMayPublish } from './publish-acl.js';
import { PacketSizeGuard } from './packet-size-guard.js';
import { RetainedBudget } from './retained-budget.js';
import { SessionBounds, type SessionStore } from './session-bounds.js';
import { keepQos2IdsOnly, type IncomingStore } from './qos2-ids-only.js';
import { SubscriptionBudget } from './subscription-budget.js';
import { MIN_UNREAD_BYTES, SlowReaderGuard } from './slow-reader-guard.js';
import { UnreadTotal } from './unread-total.js';

export interface EmbeddedBrokerOptions {
  /** Interface to listen on; loopback by default in the config so the broker is not exposed. */
  host: string;
  /** TCP port; 0 picks a free port (read it back from `address()` after `start()`). */
  port: number;
  /** Clients at once; more are closed as they arrive (default 256). */
  maxConnections?: number;
  /** Largest MQTT packet a client may send; a connection announcing a bigger one is closed. None when absent. */
  maxPacketBytes?: number;
  /** Messages kept for a client with a persistent session while it is away (default 10,000). */
  maxQueuedMessages?: number;
  /** A persistent session whose client has been away this long is ended (default 168). */
  sessionExpiryHours?: number;
  /** Users who may connect (mosquitto_passwd format); null lets anyone who reaches the port in. */
  passwordFile: string | null;
  /** Whose topics (`earshot/<siteId>/…`) only the daemon itself may publish to. */
  siteId: string;
  /** More topic prefixes only the daemon writes (its Home Assistant discovery configs). */
  ownPrefixes?: string[];
  /**
   * The daemon's own MQTT client id: only its internal login may use it, or another client
   * would push the daemon off, take over its session and fire its last will.
   */
  daemonClientId?: string;
  logger: Logger;
}

/** How the daemon's own client logs in: made at each start, never written anywhere. */
export interface InternalCredentials {
  username: string;
  password: string;
}

/** A failed login is answered this late, so guessing passwords over the port is slow. */
const FAILED_LOGIN_DELAY_MS = 500;
/**
 * Password checks run at once at most; more logins meanwhile are told the server is busy.
 * PBKDF2 runs on libuv's thread pool (4 threads), which the outbox's file writes need too:
 * logins may take half of it, never all.
 */
const MAX_LOGIN_CHECKS = 2;
/**
 * aedes' own in-memory store (what it makes when given none). Loaded by require: for this
 * CommonJS module, TypeScript (NodeNext) types a default import as the module object, not
 * the function it is.
 */
const memoryStore = createRequire(import.meta.url)('aedes-persistence') as () => SessionStore & IncomingStore;

/**
 * All clients together may leave this many times one client's unread limit (64 MB by
 * default): room for a few slow subscribers at once, far from the 256 connections' 2 GB.
 */
const UNREAD_TOTAL_CLIENTS = 8;

/** Sessions past their expiry are looked for this often at most. */
const SESSION_SWEEP_MAX_MS = 60_000;

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
 *
 * The daemon's own client logs in with credentials made at start; everyone else logs in as a
 * user of `passwordFile` when one is set, and may not publish to the daemon's own topics.
 */
export class EmbeddedBroker {
  private aedes: Aedes | null = null;
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private bound: BrokerAddress | null = null;
  private readonly internal: InternalCredentials = { username: 'earshotd-internal', password: randomBytes(32).toString('hex') };
  private readonly insiders = new WeakSet<Client>();
  private checking = 0;
  private readonly refusals: ThrottledWarnings;
  /** What clients other than the daemon keep retained here: bounded, or anyone could fill memory. */
  private readonly outsidersRetained = new RetainedBudget();
  /** And what they subscribe to: bounded too (subscription-budget.ts). */
  private readonly outsidersSubscribed = new SubscriptionBudget();
  private sessionSweep: NodeJS.Timeout | null = null;

  constructor(private readonly options: EmbeddedBrokerOptions) {
    this.refusals = throttledWarnings(options.logger, 'refused MQTT logins and publishes');
  }

  /** The credentials the daemon's own client must use. */
  internalCredentials(): InternalCredentials {
    return { ...this.internal };
  }

  async start(): Promise<BrokerAddress> {
    if (this.bound) return this.bound;
    const log = this.options.logger;
    // Read before listening: a bad password file stops the start with its line named.
    const users = this.options.passwordFile === null ? null : PasswordFile.load(this.options.passwordFile);
    // The store aedes would make itself, with what it keeps for clients that are away bounded.
    const store = memoryStore();
    const sessions = this.boundSessions(store);
    keepQos2IdsOnly(store);
    const aedes = await Aedes.createBroker({
      persistence: store,
      authenticate: (client, username, password, done) => {
        void this.authenticate(client, users, username, password).then(
          (verdict) =>
            verdict === 'ok'
              ? done(null, true)
              : verdict === 'busy'
                ? done(Object.assign(new Error('too many logins at once; try again'), { returnCode: 3 as const }), false)
                : done(Object.assign(new Error('bad username or password'), { returnCode: 4 as const }), false),
          (err: Error) => done(Object.assign(err, { returnCode: 3 as const }), false),
        );
      },
      authorizePublish: (client, packet, done) => {
        if (client === null || this.insiders.has(client)) return done(null);
        if (outsiderMayPublish(this.options.siteId, packet.topic, this.options.ownPrefixes, packet.retain)) {
          if (!packet.retain || this.outsidersRetained.take(packet.topic, packet.payload.length)) return done(null);
          this.refusals.warn(`refused a retained publish: other clients keep at most ${this.outsidersRetained.describe()} retained here`, { clientId: client.id, topic: packet.topic, bytes: packet.payload.length });
          return done(new Error(`not authorized to retain on ${packet.topic}: retained messages are full`));
        }
        this.refusals.warn(`refused a publish: only earshotd publishes under earshot/${this.options.siteId}/ (commands excepted, never retained) and nobody under $`, { clientId: client.id, topic: packet.topic });
        done(new Error(`not authorized to publish to ${packet.topic}`));
      },
      authorizeSubscribe: (client, sub, done) => {
        if (client === null || this.insiders.has(client)) return done(null, sub);
        void this.admitSubscription(client.id, sub.topic, store, sessions).then((admitted) => {
          if (admitted) return done(null, sub);
          this.refusals.warn(`refused a subscription: other clients may hold at most ${this.outsidersSubscribed.describe()}`, { clientId: client.id, filter: sub.topic.slice(0, 200) });
          // A failure in its SUBACK (0x80); the client stays connected with what it has.
          done(null, null);
        }, (err: unknown) => {
          log.warn('could not make room for a subscription', { clientId: client.id, err });
          done(null, null);
        });
      },
    });
    if (users) log.info('embedded MQTT broker requires a login', { passwordFile: users.path, users: users.size });
    aedes.on('client', (client) => {
      sessions.connected(client.id);
      // A clean session starts with no subscriptions: aedes dropped any the id had.
      if (client.clean) this.outsidersSubscribed.forget(client.id);
    });
    aedes.on('clientDisconnect', (client) => {
      sessions.disconnected(client.id, client.clean);
      if (client.clean) this.outsidersSubscribed.forget(client.id);
    });
    aedes.on('unsubscribe', (filters, client) => this.outsidersSubscribed.release(client.id, filters));
    aedes.on('clientError', (client, err) => log.debug('client error', { clientId: client.id, err }));
    aedes.on('connectionError', (_client, err) => log.debug('connection error', { err }));
    const limit = this.options.maxPacketBytes ?? Infinity;
    // Two of the largest packets fit, and never less than MIN_UNREAD_BYTES.
    const unreadLimit = Math.max(MIN_UNREAD_BYTES, 2 * (this.options.maxPacketBytes ?? 0));
    const unreadTotal = new UnreadTotal(UNREAD_TOTAL_CLIENTS * unreadLimit);
    const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
    const server = createServer((socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      // aedes reads through the guard and writes to the socket itself.
      const guard = new PacketSizeGuard(limit);
      guard.once('error', (err) => {
        // aedes ending a connection (the client disconnected) aborts the guard's reading: that
        // is no refusal, and saying it was would log a WARN for every client that comes and goes.
        if (err.name === 'AbortError') return;
        this.refusals.warn(`closed an MQTT connection: ${err.message}`, { remote: socket.remoteAddress });
        socket.destroy();
      });
      socket.pipe(guard);
      const connection: Duplex & { client?: Client } = Duplex.from({
        readable: guard,
        writable: new SlowReaderGuard(socket, unreadLimit, unreadTotal, () => connection.client !== undefined && this.insiders.has(connection.client), (unread, total) =>
          this.refusals.warn(
            total === undefined
              ? `closed an MQTT connection: the client left ${mb(unread)} MB unread (at most ${mb(unreadLimit)} MB)`
              : `closed an MQTT connection: clients together left ${mb(total)} MB unread (at most ${mb(unreadTotal.limit)} MB), this one the most, ${mb(unread)} MB`,
            { clientId: connection.client?.id ?? null, remote: socket.remoteAddress },
          ),
        ),
      });
      // aedes sets connection.client when it takes the connection.
      aedes.handle(connection);
    });
    // Past the cap, net closes a new connection as it arrives: a flood of clients cannot use
    // up the descriptors the daemon needs for audio (the port may face the LAN).
    const cap = this.options.maxConnections ?? 256;
    server.maxConnections = cap;
    server.on('drop', () => this.refusals.warn(`refused an MQTT connection: ${cap} clients already connected (mqtt.embedded.maxConnections)`));
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
    const sweepMs = Math.min(SESSION_SWEEP_MAX_MS, Math.max(100, this.sessionExpiryMs / 4));
    this.sessionSweep = setInterval(() => void sessions.expire(store).catch((err: unknown) => log.warn('could not end expired MQTT sessions', { err })), sweepMs);
    this.sessionSweep.unref();
    return this.bound;
  }

  /**
   * Counts an outside client's subscription against the shared room. When the room is full,
   * sessions whose clients have gone give theirs up, as their expiry would a week later: else
   * anyone who reaches the port could fill it with a few persistent client ids and leave, and
   * every new subscriber (Home Assistant, a dashboard) would be refused for sessionExpiryHours.
   * The session holding the most goes first (one that filled the room holds a thousand
   * filters; an archiver away for a while holds a few, and keeps its queued messages), then
   * the longest away. A client connected now keeps what it holds.
   */
  private async admitSubscription(clientId: string, filter: string, store: SessionStore, sessions: SessionBounds): Promise<boolean> {
    for (;;) {
      const taken = this.outsidersSubscribed.take(clientId, filter);
      if (taken !== 'all-full') return taken === 'taken';
      const away = sessions
        .awayLongestFirst()
        .map((a) => ({ ...a, bytes: this.outsidersSubscribed.bytesHeld(a.clientId) }))
        .filter((a) => a.clientId !== clientId && a.bytes > 0)
        .sort((a, b) => b.bytes - a.bytes)[0];
      if (away === undefined) return false;
      const dropped = await sessions.end(store, away.clientId);
      this.outsidersSubscribed.forget(away.clientId);
      // Whoever fills the room sets the pace of these: the log does not follow it.
      this.refusals.warn(`ended the MQTT session of a client away ${Math.round(away.awayMs / 60_000)} min before its expiry: other clients' subscriptions are at their limit (${this.outsidersSubscribed.describe()}); its ${Math.round(away.bytes / 1024)} KiB of subscriptions and ${dropped} messages kept for it are dropped`, { clientId: away.clientId, for: clientId });
    }
  }

  private get sessionExpiryMs(): number {
    return (this.options.sessionExpiryHours ?? 168) * 3600_000;
  }

  /** What the broker keeps for persistent clients while they are away, bounded (session-bounds.ts). */
  private boundSessions(store: SessionStore): SessionBounds {
    const log = this.options.logger;
    const bounds = new SessionBounds({
      maxQueued: this.options.maxQueuedMessages ?? 10_000,
      expiryMs: this.sessionExpiryMs,
      onFull: (clientId, waiting) =>
        log.warn(`MQTT client ${clientId} is away with ${waiting} messages kept for it (mqtt.embedded.maxQueuedMessages); newer ones are not kept for it until it is back`, { clientId }),
      onExpired: (clientId, awayMs, dropped) => {
        this.outsidersSubscribed.forget(clientId);
        log.info(`ended the MQTT session of client ${clientId}, away ${Math.round(awayMs / 3600_000)} h (mqtt.embedded.sessionExpiryHours): its subscriptions and ${dropped} messages kept for it are dropped`, { clientId });
      },
    });
    bounds.wrap(store);
    return bounds;
  }

  private async authenticate(client: Client, users: PasswordFile | null, username: string | undefined, password: Buffer | undefined): Promise<'ok' | 'bad' | 'busy'> {
    if (username === this.internal.username && password && sameBytes(password, Buffer.from(this.internal.password))) {
      this.insiders.add(client);
      return 'ok';
    }
    if (client.id === this.options.daemonClientId) {
      this.refusals.warn('refused an MQTT login using the daemon\'s own client id', { clientId: client.id, user: username });
      return this.slowly('bad');
    }
    if (users === null) return 'ok';
    if (this.checking >= MAX_LOGIN_CHECKS) {
      this.refusals.warn('refused an MQTT login: too many logins at once', { clientId: client.id, user: username ?? null });
      return this.slowly('busy');
    }
    let ok = false;
    this.checking++;
    try {
      ok = username !== undefined && password !== undefined && (await users.verify(username, password));
    } finally {
      this.checking--;
    }
    if (ok) return 'ok';
    this.refusals.warn('refused an MQTT login', { clientId: client.id, user: username ?? null });
    return this.slowly('bad');
  }

  /** A refusal answered late, so that guessing over the port is slow. */
  private async slowly<T>(verdict: T): Promise<T> {
    await new Promise((r) => setTimeout(r, FAILED_LOGIN_DELAY_MS));
    return verdict;
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
    if (this.sessionSweep) clearInterval(this.sessionSweep);
    this.sessionSweep = null;
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

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** IPv6 literals need brackets in a URL. */
function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
