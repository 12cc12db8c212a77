import type { Socket } from 'node:net';

/** A connection the total counts: its socket, and whether it is the daemon's own (never ended). */
export interface CountedConnection {
  readonly socket: Socket;
  exempt(): boolean;
  /** Ends the connection, saying why: all clients together left `total` bytes unread, this one most. */
  endForTotal(unread: number, total: number): void;
}

/**
 * Below this, a client's unread bytes are not summed at its writes: it is reading. Summing at
 * every write of every client would cost a pass over all connections per delivered packet;
 * this way the total may pass its limit by at most this much per connection.
 */
const SUM_FROM_BYTES = 256 * 1024;

/**
 * What the broker's clients together (the daemon's own aside) may leave unread. Each is held to its own limit
 * (SlowReaderGuard), but one limit times the connection cap (256 × 8 MB) is 2 GB: a host
 * that opens a few hundred connections, subscribes each and stops reading, while anything
 * is published, grows the daemon past what a small box has. Past `limit`, the connection
 * holding most is ended, again until the total is back under it.
 */
export class UnreadTotal {
  private readonly connections = new Set<CountedConnection>();

  constructor(readonly limit: number) {}

  add(connection: CountedConnection): void {
    this.connections.add(connection);
  }

  delete(connection: CountedConnection): void {
    this.connections.delete(connection);
  }

  /** After a write that left `unread` bytes for a connection: ends the largest while all together hold more than the limit. */
  check(unread: number): void {
    if (unread < SUM_FROM_BYTES) return;
    for (;;) {
      let total = 0;
      let largest: { connection: CountedConnection; unread: number } | undefined;
      for (const c of this.connections) {
        // The daemon's own client is not counted: its lag is the daemon's, and no other client
        // should be ended for it.
        if (c.socket.destroyed || c.exempt()) continue;
        const held = c.socket.writableLength;
        total += held;
        if (held > (largest?.unread ?? 0)) largest = { connection: c, unread: held };
      }
      if (total <= this.limit || largest === undefined) return;
      this.connections.delete(largest.connection);
      largest.connection.endForTotal(largest.unread, total);
    }
  }
}
