import { createRequire } from 'node:module';
import { execFile } from 'node:child_process';
import type { Logger } from '../log/logger.js';

/**
 * The sd_notify(3) protocol: datagrams such as `READY=1` to the unix socket named by
 * NOTIFY_SOCKET (a leading '@' is the abstract namespace). Node has no unix datagram
 * sockets, so we use the optional native `unix-dgram` module and fall back to the
 * `systemd-notify` tool (which needs NotifyAccess=all, set in earshot.service). Without
 * NOTIFY_SOCKET (not under systemd) every call is a no-op.
 */
interface UnixDgramSocket {
  send(buf: Buffer, offset: number, length: number, path: string, cb?: (err?: Error) => void): void;
  close(): void;
  on(event: 'error', fn: (err: Error) => void): void;
}
interface UnixDgramModule {
  createSocket(type: 'unix_dgram'): UnixDgramSocket;
}

function loadUnixDgram(): UnixDgramModule | undefined {
  try {
    return createRequire(import.meta.url)('unix-dgram') as UnixDgramModule;
  } catch {
    return undefined;
  }
}

export interface NotifierOptions {
  env: NodeJS.ProcessEnv;
  logger: Logger;
  pid?: number;
}

export class SystemdNotifier {
  private readonly socketPath: string | undefined;
  private watchdogTimer: NodeJS.Timeout | undefined;
  private socket: UnixDgramSocket | undefined;
  private readonly pid: number;

  constructor(private readonly options: NotifierOptions) {
    const raw = options.env.NOTIFY_SOCKET;
    this.socketPath = raw ? (raw.startsWith('@') ? '\0' + raw.slice(1) : raw) : undefined;
    this.pid = options.pid ?? process.pid;
  }

  get active(): boolean {
    return this.socketPath !== undefined;
  }

  /** Half of WATCHDOG_USEC, in ms, when the watchdog is meant for this process; else undefined. */
  watchdogIntervalMs(): number | undefined {
    const usec = Number(this.options.env.WATCHDOG_USEC);
    const forPid = this.options.env.WATCHDOG_PID;
    if (!Number.isFinite(usec) || usec <= 0) return undefined;
    if (forPid && Number(forPid) !== this.pid) return undefined;
    return Math.max(1, Math.floor(usec / 2000));
  }

  async ready(status?: string): Promise<void> {
    await this.send(status ? `READY=1\nSTATUS=${status}` : 'READY=1');
    const interval = this.watchdogIntervalMs();
    if (interval !== undefined) {
      this.options.logger.debug('systemd watchdog enabled', { intervalMs: interval });
      this.watchdogTimer = setInterval(() => void this.send('WATCHDOG=1'), interval);
      this.watchdogTimer.unref();
      await this.send('WATCHDOG=1');
    }
  }

  async stopping(): Promise<void> {
    clearInterval(this.watchdogTimer);
    this.watchdogTimer = undefined;
    await this.send('STOPPING=1');
  }

  /**
   * One step of the stop: systemd kills the service only once both TimeoutStopSec and this
   * step's budget have run out, so a stop whose steps are each bounded but add up to more
   * than TimeoutStopSec still ends cleanly; a step that hangs is killed at its budget.
   */
  async stopStep(step: string, budgetMs: number): Promise<void> {
    await this.send(`EXTEND_TIMEOUT_USEC=${Math.round(budgetMs * 1000)}\nSTATUS=${step}`);
  }

  close(): void {
    clearInterval(this.watchdogTimer);
    this.watchdogTimer = undefined;
    this.socket?.close();
    this.socket = undefined;
  }

  /** Sends one message; failures are logged, never thrown: notification must not stop the daemon. */
  async send(message: string): Promise<void> {
    if (!this.socketPath) return;
    try {
      await this.sendDatagram(message);
    } catch (err) {
      this.options.logger.warn('sd_notify failed', { message: message.split('\n')[0], err });
    }
  }

  private sendDatagram(message: string): Promise<void> {
    const path = this.socketPath!;
    const dgram = loadUnixDgram();
    if (!dgram) return this.sendWithTool(message);
    if (!this.socket) {
      this.socket = dgram.createSocket('unix_dgram');
      // Send errors arrive through the callback; the socket-level event only needs a listener.
      this.socket.on('error', () => undefined);
    }
    const buf = Buffer.from(message);
    return new Promise((resolve, reject) => this.socket!.send(buf, 0, buf.length, path, (err) => (err ? reject(err) : resolve())));
  }

  private sendWithTool(message: string): Promise<void> {
    return new Promise((resolve, reject) =>
      execFile('systemd-notify', [`--pid=${this.pid}`, ...message.split('\n')], { env: this.options.env }, (err) => (err ? reject(err) : resolve())),
    );
  }
}
