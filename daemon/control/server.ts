import { createServer, connect, type Server, type Socket } from 'node:net';
import { chmodSync, existsSync, mkdirSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import type { Logger } from '../log/logger.js';
import { throttledWarnings, type ThrottledWarnings } from '../log/throttled-warnings.js';
import type { ControlConfig } from '../config/types.js';
import type { Service } from '../service.js';
import { ControlError, parseRequest, type ControlReply, type ControlRequest } from './protocol.js';
import type { MethodName, ParamsOf, ResultOf } from './methods.js';

export interface MethodSpec<P, R> {
  /** JSON Schema of params; requests that fail it get `invalid_params` and never reach the handler. */
  params?: Record<string, unknown>;
  handler(params: P): Promise<R> | R;
}

interface Registered {
  validate: ValidateFunction | undefined;
  handler(params: unknown): Promise<unknown> | unknown;
}

/** A control connection with no request for this long is closed. */
const IDLE_CONNECTION_MS = 5 * 60_000;

export interface ControlServerOptions {
  config: ControlConfig;
  logger: Logger;
}

/**
 * Serves the control protocol on a unix socket. Each connection's requests are answered in
 * order; a malformed, oversized or failing request gets an error reply and never reaches
 * beyond its own connection.
 */
export class ControlServer implements Service {
  readonly name = 'control';
  private readonly methods = new Map<string, Registered>();
  private readonly ajv = new Ajv2020({ allErrors: true, strict: false, useDefaults: true });
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  private readonly drops: ThrottledWarnings;

  constructor(private readonly options: ControlServerOptions) {
    this.drops = throttledWarnings(options.logger, 'refused control connections');
  }

  register<M extends MethodName>(method: M, spec: MethodSpec<ParamsOf<M>, ResultOf<M>>): void {
    this.registerUntyped(method, spec as MethodSpec<unknown, unknown>);
  }

  /** For methods a service adds at run time without a ControlMethods entry. */
  registerUntyped(method: string, spec: MethodSpec<unknown, unknown>): void {
    if (this.methods.has(method)) throw new Error(`control method "${method}" registered twice`);
    this.methods.set(method, {
      validate: spec.params ? this.ajv.compile(spec.params) : undefined,
      handler: (p) => spec.handler(p),
    });
  }

  methodNames(): string[] {
    return [...this.methods.keys()].sort();
  }

  async start(): Promise<void> {
    const { socket: path, mode } = this.options.config;
    mkdirSync(dirname(path), { recursive: true, mode: 0o750 });
    await this.removeStaleSocket(path);
    const server = createServer((socket) => this.accept(socket));
    // Past the cap, net closes a new connection as it arrives ('drop'): what a leaky client
    // holds open is bounded, and the descriptors the daemon needs for audio stay free.
    server.maxConnections = this.options.config.maxConnections;
    server.on('drop', () => this.drops.warn(`control connection refused: ${this.options.config.maxConnections} already open (control.maxConnections)`));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.options.logger.error('control socket error', { err }));
    chmodSync(path, parseInt(mode, 8));
    this.server = server;
    this.options.logger.info('listening', { socket: path, mode });
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    try {
      unlinkSync(this.options.config.socket);
    } catch {
      // Already gone: nothing to clean.
    }
  }

  state(): { state: string; detail?: string } {
    return this.server ? { state: 'listening', detail: this.options.config.socket } : { state: 'stopped' };
  }

  /** Dispatches one request object; also used by MQTT remote commands. */
  async dispatch(request: ControlRequest): Promise<ControlReply> {
    const method = this.methods.get(request.method);
    if (!method) {
      return reply(request.id, new ControlError('unknown_method', `unknown method "${request.method}"`, `known methods: ${this.methodNames().join(', ')}`));
    }
    const params = request.params ?? {};
    if (method.validate && !method.validate(params)) {
      const detail = (method.validate.errors ?? []).map((e) => `${e.instancePath || 'params'} ${e.message ?? ''}`.trim()).join('; ');
      return reply(request.id, new ControlError('invalid_params', `invalid params for "${request.method}": ${detail}`));
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new ControlError('timeout', `"${request.method}" took longer than ${this.options.config.requestTimeoutMs} ms`)),
          this.options.config.requestTimeoutMs,
        );
      });
      const data = await Promise.race([Promise.resolve(method.handler(params)), timeout]);
      return { id: request.id, status: 'ok', data: data ?? null };
    } catch (err) {
      if (!(err instanceof ControlError)) this.options.logger.warn('control method failed', { method: request.method, err });
      return reply(request.id, err);
    } finally {
      clearTimeout(timer);
    }
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    const max = this.options.config.maxRequestBytes;
    let buffered: Buffer[] = [];
    let size = 0;
    let queue = Promise.resolve();
    let inFlight = 0;
    const send = (r: ControlReply) => {
      if (!socket.destroyed) socket.write(JSON.stringify(r) + '\n');
    };
    socket.on('data', (chunk: Buffer) => {
      let start = 0;
      for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
        const line = Buffer.concat([...buffered, chunk.subarray(start, nl)]).toString('utf8');
        buffered = [];
        size = 0;
        start = nl + 1;
        if (line.trim() === '') continue;
        if (Buffer.byteLength(line) > max) {
          this.rejectOversized(socket, max);
          return;
        }
        const request = parseRequest(line);
        inFlight++;
        queue = queue.then(async () => send(request instanceof ControlError ? reply(null, request) : await this.dispatch(request))).finally(() => inFlight--);
      }
      const rest = chunk.subarray(start);
      size += rest.length;
      if (size > max) {
        this.rejectOversized(socket, max);
        return;
      }
      if (rest.length) buffered.push(rest);
    });
    // A connection that sends nothing for a while is closed, so idle ones do not hold the
    // control.maxConnections slots (the CLI opens one per command and closes it).
    socket.setTimeout(IDLE_CONNECTION_MS, () => {
      if (inFlight === 0) socket.destroy();
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
  }

  private rejectOversized(socket: Socket, max: number): void {
    this.options.logger.warn('control request too large; connection closed', { limitBytes: max });
    socket.end(JSON.stringify(reply(null, new ControlError('too_large', `request exceeds ${max} bytes`))) + '\n');
    socket.removeAllListeners('data');
    socket.on('data', () => undefined);
    setTimeout(() => socket.destroy(), 1000).unref();
  }

  /** A socket file left by a crashed daemon is removed; one that answers means another daemon runs. */
  private async removeStaleSocket(path: string): Promise<void> {
    if (!existsSync(path)) return;
    const alive = await new Promise<boolean>((resolve) => {
      const probe = connect(path);
      probe.once('connect', () => {
        probe.destroy();
        resolve(true);
      });
      probe.once('error', () => resolve(false));
    });
    if (alive) throw new Error(`another earshotd is already serving ${path}; stop it first or set control.socket to another path`);
    unlinkSync(path);
  }
}

function reply(id: string | number | null, err: unknown): ControlReply {
  const body = err instanceof ControlError ? err.toBody() : { code: 'failed' as const, message: err instanceof Error ? err.message : String(err) };
  return { id, status: 'error', error: body };
}
