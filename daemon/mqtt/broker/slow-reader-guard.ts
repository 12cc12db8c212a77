import { Writable } from 'node:stream';
import type { Socket } from 'node:net';
import type { CountedConnection, UnreadTotal } from './unread-total.js';

/** What a client may leave unread before it is disconnected, at the least. */
export const MIN_UNREAD_BYTES = 8 * 1024 * 1024;

/**
 * The broker's side of a client connection for writing: passes what aedes writes to the
 * socket and closes the connection once the client has left more than `limit` bytes
 * unread. aedes waits for a drain only after a write it has already made, and delivers a
 * publish to every subscriber at once, so a subscriber that stopped reading had every
 * message sent meanwhile buffered for it: a client subscribed to a topic and another
 * publishing 1 MB messages there grew the daemon 1 GB in 1,000 messages (a slow reader,
 * not a malformed packet). `exempt` is asked at each write: the daemon's own client. All
 * clients' unread bytes together are held to `total`'s limit as well.
 */
export class SlowReaderGuard extends Writable implements CountedConnection {
  constructor(
    readonly socket: Socket,
    private readonly limit: number,
    private readonly total: UnreadTotal,
    readonly exempt: () => boolean,
    private readonly onTooSlow: (unread: number, total?: number) => void,
  ) {
    super();
    total.add(this);
    // The socket's end is this stream's: aedes sees a client gone either way.
    socket.once('error', (err) => this.destroy(err));
    socket.once('close', () => this.destroy());
  }

  endForTotal(unread: number, total: number): void {
    this.onTooSlow(unread, total);
    this.socket.destroy();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    if (this.socket.destroyed) return done();
    this.socket.write(chunk);
    const unread = this.socket.writableLength;
    if (unread > this.limit && !this.exempt()) {
      this.onTooSlow(unread);
      this.socket.destroy();
    } else {
      this.total.check(unread);
    }
    // At once: what the client has not read is held and counted in the socket, not here.
    done();
  }

  override _final(done: (err?: Error | null) => void): void {
    this.socket.end(() => done());
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.total.delete(this);
    this.socket.destroy();
    done(err);
  }
}
