import type { Socket } from 'node:net';
import type { ThrottledWarnings } from '../log/throttled-warnings.js';
import { LineBuffer } from './line-buffer.js';
import { ControlError, errorReply, parseRequest, type ControlReply, type ControlRequest } from './protocol.js';

/** What one control connection may hold before the daemon stops reading from it or closes it. */
export interface ConnectionLimits {
  /** Requests read but not yet answered; at this many the socket is not read until one is answered. */
  maxInFlight: number;
  /** Reply bytes the client has not taken; past this the socket is not read until they are flushed. */
  maxReplyBacklogBytes: number;
  /** A request line begun and not finished within this closes the connection (slow-loris). */
  partialLineMs: number;
  /** A connection waiting on its client with nothing in flight for this long is closed. */
  idleMs: number;
}

/**
 * A client that pipelines requests and never reads the replies once grew the daemon by a GB
 * in 20 s; one that sent a byte every few minutes held a slot of control.maxConnections for
 * good. These bound both; the CLI sends one request per connection and never comes near them.
 */
export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  maxInFlight: 64,
  maxReplyBacklogBytes: 1 << 20,
  partialLineMs: 30_000,
  idleMs: 5 * 60_000,
};

/** How long a closing connection may take to flush its last reply before it is destroyed. */
const CLOSE_GRACE_MS = 1000;

export interface ConnectionStats {
  inFlightRequests: number;
  bufferedRequestBytes: number;
  replyBacklogBytes: number;
}

export interface ConnectionContext {
  maxRequestBytes: number;
  limits: ConnectionLimits;
  dispatch(request: ControlRequest): Promise<ControlReply>;
  /** Where closes the client caused are reported; throttled, as the client sets their pace. */
  warnings: ThrottledWarnings;
}

/**
 * One control connection: requests are read as lines, answered one at a time in order, and
 * read only as fast as the client takes the replies. Past a limit the socket is paused (the
 * kernel's buffer then pushes back on the client) rather than anything buffered here.
 */
export class ControlConnection {
  private readonly pending = new LineBuffer();
  private queue: Promise<void> = Promise.resolve();
  private inFlight = 0;
  private waitingForFlush = false;
  private closing = false;
  private partialLineTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private closeTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly context: ConnectionContext,
  ) {}

  start(): void {
    this.socket.on('data', (chunk: Buffer) => this.receive(chunk));
    this.socket.on('error', () => this.socket.destroy());
    this.socket.on('close', () => this.clearTimers());
    this.update();
  }

  destroy(): void {
    this.clearTimers();
    this.socket.destroy();
  }

  stats(): ConnectionStats {
    return { inFlightRequests: this.inFlight, bufferedRequestBytes: this.pending.length, replyBacklogBytes: this.socket.writableLength };
  }

  private get blocked(): boolean {
    return this.inFlight >= this.context.limits.maxInFlight || this.waitingForFlush;
  }

  private receive(chunk: Buffer): void {
    if (this.closing) return;
    this.pending.append(chunk);
    const max = this.context.maxRequestBytes;
    if (this.pending.partialLength > max) return this.refuseOversized(max);
    this.idleTimer?.refresh();
    this.pump();
  }

  /** Takes lines from what was received while the limits allow, then pauses or resumes reading. */
  private pump(): void {
    const max = this.context.maxRequestBytes;
    let completed = false;
    while (!this.closing && !this.socket.destroyed && !this.blocked) {
      const line = this.pending.takeLine();
      if (!line) break;
      completed = true;
      if (line.length > max) return this.refuseOversized(max);
      const text = line.toString('utf8');
      if (text.trim() !== '') this.enqueue(parseRequest(text));
    }
    // The deadline is for one line left unfinished: a client streaming requests in chunks
    // that end mid-line is always mid-line, yet finishes line after line. update() starts
    // it again for what is left.
    if (completed) this.partialLineTimer = clear(this.partialLineTimer);
    this.update();
  }

  private enqueue(request: ControlRequest | ControlError): void {
    this.inFlight++;
    this.queue = this.queue
      .then(async () => this.send(request instanceof ControlError ? errorReply(null, request) : await this.context.dispatch(request)))
      .finally(() => {
        this.inFlight--;
        this.pump();
      });
  }

  private send(reply: ControlReply): void {
    if (this.closing || !this.socket.writable) return;
    this.socket.write(encodeReply(reply), this.onFlushed);
    if (this.socket.writableLength > this.context.limits.maxReplyBacklogBytes) this.waitingForFlush = true;
  }

  /** Called as each reply reaches the kernel: the client is reading again. */
  private readonly onFlushed = (): void => {
    this.idleTimer?.refresh();
    if (!this.waitingForFlush || this.socket.writableLength > this.context.limits.maxReplyBacklogBytes) return;
    this.waitingForFlush = false;
    this.pump();
  };

  /** Reading follows the limits; the deadlines run only while the connection waits on its client. */
  private update(): void {
    if (this.closing || this.socket.destroyed) return;
    if (this.blocked) this.socket.pause();
    else this.socket.resume();
    const midLine = !this.blocked && this.pending.length > 0;
    if (midLine) this.partialLineTimer ??= setTimeout(() => this.closeUnfinishedLine(), this.context.limits.partialLineMs);
    else this.partialLineTimer = clear(this.partialLineTimer);
    if (this.inFlight === 0 && !midLine) this.idleTimer ??= setTimeout(() => this.close(undefined), this.context.limits.idleMs);
    else this.idleTimer = clear(this.idleTimer);
  }

  private closeUnfinishedLine(): void {
    const ms = this.context.limits.partialLineMs;
    this.context.warnings.warn('control request line unfinished; connection closed', { afterMs: ms, bytes: this.pending.length });
    this.close(new ControlError('timeout', `request line unfinished after ${ms} ms; connection closed`, 'send each request as one JSON object ending in a newline'));
  }

  private refuseOversized(max: number): void {
    this.context.warnings.warn('control request too large; connection closed', { limitBytes: max });
    this.close(new ControlError('too_large', `request exceeds ${max} bytes (control.maxRequestBytes)`));
  }

  /** Stops reading, sends `error` if any, and destroys the socket if the client does not take it soon. */
  private close(error: ControlError | undefined): void {
    if (this.closing) return;
    this.closing = true;
    this.clearTimers();
    // Keep reading (and dropping) so a client still writing sees our reply, not a reset.
    this.socket.removeAllListeners('data');
    this.socket.on('data', () => undefined);
    this.socket.resume();
    if (error) this.socket.end(encodeReply(errorReply(null, error)));
    else this.socket.end();
    this.closeTimer = setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS);
  }

  private clearTimers(): void {
    this.partialLineTimer = clear(this.partialLineTimer);
    this.idleTimer = clear(this.idleTimer);
    this.closeTimer = clear(this.closeTimer);
  }
}

function clear(timer: NodeJS.Timeout | undefined): undefined {
  if (timer) clearTimeout(timer);
  return undefined;
}

/** A handler's result that JSON cannot hold (a BigInt, a cycle) must not stop the connection. */
function encodeReply(reply: ControlReply): string {
  try {
    return JSON.stringify(reply) + '\n';
  } catch (err) {
    return JSON.stringify(errorReply(reply.id, new ControlError('failed', `reply could not be encoded as JSON: ${(err as Error).message}`))) + '\n';
  }
}
