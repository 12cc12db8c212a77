import { chmod } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../../log/logger.js';
import { removeSocketFile, removeStaleSocket } from '../../socket-file.js';
import type { ChannelSelect, PcmFormat } from '../types.js';
import { FrameEmitter, type FrameEmitterOptions } from './frame-emitter.js';
import { RepeatedFailures } from './repeated-failures.js';
import { NoDataWatchdog, watchFrames } from './no-data-watchdog.js';
import { checkSourceId, type AudioSource, type FramesHandler } from './types.js';

export type SocketListen = { path: string } | { host: string; port: number };

export interface SocketSourceOptions extends FrameEmitterOptions {
  id: string;
  /** A unix socket path, or a TCP host and port (keep it on loopback: the stream is not authenticated). */
  listen: SocketListen;
  format: PcmFormat;
  channel?: ChannelSelect;
  /**
   * Disconnect a sender, with a warning, after this long without audio; absent or 0: never.
   * Only one sender is taken at a time, so one that holds the connection without sending (stuck,
   * or gone without a FIN) would keep every other out, the same sender reconnecting included.
   */
  noDataTimeoutMs?: number;
  logger: Logger;
  onFrames: FramesHandler;
}

/**
 * Raw PCM pushed over a local socket (`arecord ... | nc -U /run/earshot/mic.sock`). One
 * sender at a time: a second connection is refused while one is streaming. Each new
 * sender starts a new stretch of the source's timeline, marked as a discontinuity.
 */
export class SocketSource implements AudioSource {
  readonly id: string;
  readonly kind = 'socket' as const;
  private server: Server | null = null;
  private client: Socket | null = null;
  private readonly frames: FrameEmitter;
  private reading: Promise<void> = Promise.resolve();
  /**
   * A sender retrying in a loop while another streams (`while :; do arecord | nc -U …; done`)
   * is refused as fast as it reconnects: a few refusals are logged, then one a minute.
   */
  private readonly refusals = new RepeatedFailures();
  private readonly watchdog: NoDataWatchdog | null;
  /** The sender last let go for sending nothing. */
  private silentSender: Socket | null = null;

  constructor(private readonly options: SocketSourceOptions) {
    this.id = checkSourceId(options.id);
    const { watchdog, onFrames } = watchFrames(options.noDataTimeoutMs, (silentForMs) => this.onSilent(silentForMs), options.onFrames);
    this.watchdog = watchdog;
    this.frames = new FrameEmitter(this.id, onFrames, options);
  }

  /** The TCP port actually bound (useful with port 0), or null for a unix socket. */
  get port(): number | null {
    const address = this.server?.address();
    return address && typeof address === 'object' ? address.port : null;
  }

  async start(): Promise<void> {
    const { listen, logger } = this.options;
    // A stale unix socket file from a crash would make listen() fail with EADDRINUSE; only a
    // socket nothing listens on is removed, so a path set by mistake to a real file, or to a
    // socket another program serves, fails here and is kept.
    if ('path' in listen) await removeStaleSocket(listen.path, this.pathSetting, 'another program');
    const server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      if ('path' in listen) server.listen(listen.path, resolve);
      else server.listen(listen.port, listen.host, resolve);
    });
    // Set once listening: a socket file that stop() removes is then surely this source's own.
    this.server = server;
    // Under the service's UMask=0027 the socket would be 0750, and a sender in the earshot
    // group (an arecord run by another user) could not connect: connecting needs write. The
    // same people as on the control socket: the daemon's user and its group.
    if ('path' in listen) {
      await chmod(listen.path, 0o660).catch(async (err: unknown) => {
        // Not started after all: let the socket go, or a retry would find it served (by us).
        await this.stop();
        throw err;
      });
    }
    server.on('error', (err) => logger.error('source socket error', { source: this.id, error: err.message }));
    logger.info('source socket listening', { source: this.id, ...('path' in listen ? { path: listen.path } : { host: listen.host, port: this.port }) });
  }

  async stop(): Promise<void> {
    this.client?.destroy();
    await this.reading;
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    // Only a socket this source listened on is its to remove.
    if (server && 'path' in this.options.listen) {
      await removeSocketFile(this.options.listen.path, this.pathSetting).catch((err: unknown) =>
        this.options.logger.warn('source socket file left in place', { source: this.id, error: err instanceof Error ? err.message : String(err) }),
      );
    }
  }

  /** The sender is connected but has sent no audio for a while: let it go, so that another may connect. */
  private onSilent(silentForMs: number): void {
    this.options.logger.warn('source socket: sender sent no audio; disconnecting it so that another can connect', {
      source: this.id,
      silentForMs,
      hint: "check the sender; the limit is the source's noDataTimeoutSec (0 turns the check off)",
    });
    this.silentSender = this.client;
    this.client?.destroy();
  }

  /** The config key a unix socket path came from, for errors about it. */
  private get pathSetting(): string {
    return `sources (id "${this.id}").path`;
  }

  private accept(socket: Socket): void {
    const { logger } = this.options;
    if (this.client) {
      const { log, unlogged } = this.refusals.take('busy');
      if (log) logger.warn('source socket: refusing a second sender while one is streaming', { source: this.id, ...(unlogged > 0 ? { unloggedRefusals: unlogged } : {}) });
      socket.destroy();
      return;
    }
    this.client = socket;
    logger.info('source socket: sender connected', { source: this.id });
    this.watchdog?.start();
    this.reading = (async () => {
      try {
        await this.frames.pump(socket, this.options.format, this.options.channel ?? 'mix');
      } catch (err) {
        // A sender let go for its silence ends "prematurely"; the warning about it said why.
        if (socket !== this.silentSender) logger.warn('source socket: stream ended with an error', { source: this.id, error: err instanceof Error ? err.message : String(err) });
        socket.destroy();
      } finally {
        this.watchdog?.stop();
        this.client = null;
        logger.info('source socket: sender disconnected', { source: this.id });
      }
    })();
  }
}
