import { createServer, type Server, type Socket } from 'node:net';
import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ValidateFunction } from 'ajv';
import type { Logger } from '../log/logger.js';
import { throttledWarnings, type ThrottledWarnings } from '../log/throttled-warnings.js';
import type { ControlConfig } from '../config/types.js';
import { ConfigFileError } from '../config/errors.js';
import { isPermissionProblem, isUnusablePath } from '../config/unusable-path.js';
import type { Service } from '../service.js';
import { removeSocketFile, removeStaleSocket } from '../socket-file.js';
import { ControlConnection, DEFAULT_CONNECTION_LIMITS, type ConnectionLimits, type ConnectionStats } from './connection.js';
import { ControlError, errorReply, type ControlReply, type ControlRequest } from './protocol.js';
import type { MethodName, ParamsOf, ResultOf } from './methods.js';
import { loadSetValidators, type ValidatorSet } from '../validation/precompiled.js';

/** The Ajv options of methods' params schemas; useDefaults fills in the defaults a schema gives. */
export const CONTROL_PARAMS_VALIDATORS: ValidatorSet = { name: 'control-params', draft: '2020-12', options: { allErrors: true, strict: false, useDefaults: true } };

const validators = await loadSetValidators(CONTROL_PARAMS_VALIDATORS);

export interface MethodSpec<P, R> {
  /** JSON Schema of params; requests that fail it get `invalid_params` and never reach the handler. */
  params?: Record<string, unknown>;
  handler(params: P): Promise<R> | R;
}

interface Registered {
  validate: ValidateFunction | undefined;
  handler(params: unknown): Promise<unknown> | unknown;
}

export interface ControlServerOptions {
  config: ControlConfig;
  logger: Logger;
  /** Per-connection limits; each one not given keeps DEFAULT_CONNECTION_LIMITS. */
  limits?: Partial<ConnectionLimits>;
}

/**
 * Serves the control protocol on a unix socket. Each connection's requests are answered in
 * order; a malformed, oversized or failing request gets an error reply and never reaches
 * beyond its own connection.
 */
export class ControlServer implements Service {
  readonly name = 'control';
  private readonly methods = new Map<string, Registered>();
  private readonly connections = new Set<ControlConnection>();
  private server: Server | undefined;
  private readonly drops: ThrottledWarnings;
  private readonly closes: ThrottledWarnings;

  constructor(private readonly options: ControlServerOptions) {
    this.drops = throttledWarnings(options.logger, 'refused control connections');
    this.closes = throttledWarnings(options.logger, 'closed control connections');
  }

  register<M extends MethodName>(method: M, spec: MethodSpec<ParamsOf<M>, ResultOf<M>>): void {
    this.registerUntyped(method, spec as MethodSpec<unknown, unknown>);
  }

  /** For methods a service adds at run time without a ControlMethods entry. */
  registerUntyped(method: string, spec: MethodSpec<unknown, unknown>): void {
    if (this.methods.has(method)) throw new Error(`control method "${method}" registered twice`);
    this.methods.set(method, {
      // The build's code for the schema; one it did not see (a method added since) is compiled here.
      validate: spec.params ? validators.validator(spec.params) : undefined,
      handler: (p) => spec.handler(p),
    });
  }

  methodNames(): string[] {
    return [...this.methods.keys()].sort();
  }

  async start(): Promise<void> {
    const { socket: path, mode } = this.options.config;
    try {
      mkdirSync(dirname(path), { recursive: true, mode: 0o750 });
    } catch (err) {
      throw unusablePath(path, err);
    }
    // A socket file left by a crashed daemon is removed; one that answers means another daemon runs.
    await removeStaleSocket(path, 'control.socket', 'another earshotd');
    const server = createServer((socket) => this.accept(socket));
    // Past the cap, net closes a new connection as it arrives ('drop'): what a leaky client
    // holds open is bounded, and the descriptors the daemon needs for audio stay free.
    server.maxConnections = this.options.config.maxConnections;
    server.on('drop', () => this.drops.warn(`control connection refused: ${this.options.config.maxConnections} already open (control.maxConnections)`));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(unusablePath(path, err)));
      server.listen(path, () => {
        server.removeAllListeners('error');
        resolve();
      });
    });
    server.on('error', (err) => this.options.logger.error('control socket error', { err }));
    try {
      chmodSync(path, parseInt(mode, 8));
    } catch (err) {
      // Listening but not started, so stop() will not close it: a listener left open holds
      // the event loop, and a daemon that failed to start would never exit.
      await new Promise<void>((resolve) => server.close(() => resolve()));
      throw unusablePath(path, err);
    }
    this.server = server;
    this.options.logger.info('listening', { socket: path, mode });
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const connection of this.connections) connection.destroy();
    this.connections.clear();
    if (!server) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await removeSocketFile(this.options.config.socket, 'control.socket').catch((err: unknown) =>
      this.options.logger.warn('control socket left in place', { err }),
    );
  }

  state(): { state: string; detail?: string } {
    return this.server ? { state: 'listening', detail: this.options.config.socket } : { state: 'stopped' };
  }

  /** What the open connections hold now: requests read and not answered, bytes not yet parsed or sent. */
  stats(): ConnectionStats & { connections: number } {
    const total = { connections: this.connections.size, inFlightRequests: 0, bufferedRequestBytes: 0, replyBacklogBytes: 0 };
    for (const connection of this.connections) {
      const s = connection.stats();
      total.inFlightRequests += s.inFlightRequests;
      total.bufferedRequestBytes += s.bufferedRequestBytes;
      total.replyBacklogBytes += s.replyBacklogBytes;
    }
    return total;
  }

  /** Dispatches one request object; also used by MQTT remote commands. */
  async dispatch(request: ControlRequest): Promise<ControlReply> {
    const method = this.methods.get(request.method);
    if (!method) {
      return errorReply(request.id, new ControlError('unknown_method', `unknown method "${request.method}"`, `known methods: ${this.methodNames().join(', ')}`));
    }
    const params = request.params ?? {};
    if (method.validate && !method.validate(params)) {
      const detail = (method.validate.errors ?? []).map((e) => `${e.instancePath || 'params'} ${e.message ?? ''}`.trim()).join('; ');
      return errorReply(request.id, new ControlError('invalid_params', `invalid params for "${request.method}": ${detail}`));
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
      return errorReply(request.id, err);
    } finally {
      clearTimeout(timer);
    }
  }

  private accept(socket: Socket): void {
    const connection = new ControlConnection(socket, {
      maxRequestBytes: this.options.config.maxRequestBytes,
      limits: { ...DEFAULT_CONNECTION_LIMITS, ...this.options.limits },
      dispatch: (request) => this.dispatch(request),
      warnings: this.closes,
    });
    this.connections.add(connection);
    socket.on('close', () => this.connections.delete(connection));
    connection.start();
  }
}

/**
 * The socket's path cannot be used: a config problem (exit 78, which the unit does not
 * restart into the same error every 5 s) when it is one of the path's; else as it was.
 */
function unusablePath(path: string, err: unknown): unknown {
  if (!isUnusablePath(err)) return err;
  const hint = isPermissionProblem(err) ? '; the daemon runs as the earshot user, which must be able to write the folder (under systemd, RuntimeDirectory=earshot makes /run/earshot for it)' : '';
  return new ConfigFileError(`control.socket: cannot listen on ${path}: ${(err as Error).message}${hint}`);
}
