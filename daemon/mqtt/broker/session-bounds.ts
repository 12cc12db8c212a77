import type { Readable } from 'node:stream';

/**
 * The parts of the broker's message store (aedes-persistence, in memory) that the bounds
 * use, in the promise form aedes 1.x calls them in (its published types show only the
 * callback form).
 */
export interface SessionStore {
  outgoingEnqueue(sub: { clientId: string }, packet: unknown): Promise<void>;
  outgoingEnqueueCombi(subs: Array<{ clientId: string }>, packet: unknown): Promise<void>;
  outgoingClearMessageId(client: { id: string }, packet: unknown): Promise<unknown>;
  outgoingStream(client: { id: string }): Readable;
  cleanSubscriptions(client: { id: string }): Promise<void>;
  cleanIncoming(client: { id: string }): Promise<void>;
}

export interface SessionBoundsOptions {
  /** Messages kept for one client; newer ones are not kept for it while it is away. */
  maxQueued: number;
  /** A persistent session whose client has been away this long is ended. */
  expiryMs: number;
  /** A client away with maxQueued messages waiting: said once per absence. */
  onFull: (clientId: string, waiting: number) => void;
  /** A session ended by expiry, with the messages that were waiting for it. */
  onExpired: (clientId: string, awayMs: number, dropped: number) => void;
  now?: () => number;
}

/**
 * Bounds what the embedded broker keeps for persistent sessions (clean session off). aedes
 * keeps every QoS 1 message for such a client for as long as it is away, in memory and
 * without a limit: an archiver that was replaced, or a script that used a new client id each
 * time, made the daemon hold every transcript from then on (a box doing 2,000 recordings a
 * day would hold hundreds of MB after months, then run out of memory). As Mosquitto does
 * (max_queued_messages, persistent_client_expiration), a client away keeps at most
 * `maxQueued` messages, and a session whose client has been away `expiryMs` is ended.
 */
export class SessionBounds {
  /** Messages held per client id: counted as they are queued and as they leave. */
  private readonly queued = new Map<string, number>();
  /** Persistent clients that are away, and since when. */
  private readonly awaySince = new Map<string, number>();
  /** Clients connected now (a takeover disconnects the old connection before the new one counts). */
  private readonly online = new Set<string>();
  private readonly saidFull = new Set<string>();
  private readonly now: () => number;

  constructor(private readonly options: SessionBoundsOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Counts and bounds the store's queues; call once, before the broker takes clients. */
  wrap(store: SessionStore): void {
    const enqueue = store.outgoingEnqueue.bind(store);
    const enqueueCombi = store.outgoingEnqueueCombi.bind(store);
    const clear = store.outgoingClearMessageId.bind(store);
    store.outgoingEnqueue = (sub, packet) => (this.admit(sub.clientId) ? enqueue(sub, packet) : Promise.resolve());
    store.outgoingEnqueueCombi = (subs, packet) => enqueueCombi(subs.filter((s) => this.admit(s.clientId)), packet);
    store.outgoingClearMessageId = async (client, packet) => {
      const removed = await clear(client, packet);
      if (removed !== undefined) this.count(client.id, -1);
      return removed;
    };
  }

  connected(clientId: string): void {
    this.online.add(clientId);
    this.awaySince.delete(clientId);
    this.saidFull.delete(clientId);
  }

  /** A client left; only one with a persistent session has anything kept for it. */
  disconnected(clientId: string, clean: boolean): void {
    this.online.delete(clientId);
    if (clean) this.forget(clientId);
    else this.awaySince.set(clientId, this.now());
  }

  /** Messages held for a client now. */
  waiting(clientId: string): number {
    return this.queued.get(clientId) ?? 0;
  }

  /** Ends the sessions whose clients have been away longer than expiryMs; returns how many. */
  async expire(store: SessionStore): Promise<number> {
    const now = this.now();
    let ended = 0;
    for (const [clientId, since] of [...this.awaySince]) {
      if (now - since <= this.options.expiryMs || this.online.has(clientId)) continue;
      const dropped = await this.end(store, clientId);
      this.options.onExpired(clientId, now - since, dropped);
      ended++;
    }
    return ended;
  }

  /** Clients away with a persistent session, the longest away first, and for how long. */
  awayLongestFirst(): Array<{ clientId: string; awayMs: number }> {
    const now = this.now();
    return [...this.awaySince]
      .filter(([clientId]) => !this.online.has(clientId))
      .sort((a, b) => a[1] - b[1])
      .map(([clientId, since]) => ({ clientId, awayMs: now - since }));
  }

  /**
   * Ends an away client's persistent session now, as its expiry would: its subscriptions, the
   * messages kept for it and its unreleased QoS 2 ids go. Returns how many messages were dropped.
   */
  async end(store: SessionStore, clientId: string): Promise<number> {
    const client = { id: clientId };
    // Subscriptions first, so nothing more is queued for it while the queue is emptied.
    await store.cleanSubscriptions(client);
    const dropped = this.waiting(clientId);
    for await (const packet of store.outgoingStream(client)) await store.outgoingClearMessageId(client, packet);
    // And the ids of its QoS 2 publishes never released (qos2-ids-only.ts), kept for it until now.
    await store.cleanIncoming(client);
    this.forget(clientId);
    return dropped;
  }

  /** Whether one more message may be queued for the client (counted if so). */
  private admit(clientId: string): boolean {
    const waiting = this.waiting(clientId);
    // A connected client's queue is what it has in flight: it empties as it acknowledges.
    if (waiting >= this.options.maxQueued && !this.online.has(clientId)) {
      if (!this.saidFull.has(clientId)) {
        this.saidFull.add(clientId);
        this.options.onFull(clientId, waiting);
      }
      return false;
    }
    this.count(clientId, 1);
    return true;
  }

  private count(clientId: string, delta: number): void {
    const n = this.waiting(clientId) + delta;
    if (n > 0) this.queued.set(clientId, n);
    else this.queued.delete(clientId);
  }

  private forget(clientId: string): void {
    this.awaySince.delete(clientId);
    this.saidFull.delete(clientId);
  }
}
