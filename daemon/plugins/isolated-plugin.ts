import { readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { Hotword, PluginInstance, TranscriptInput, TranscriptOutput } from '@earshot/sdk';
import { LOG_LEVELS, type Logger } from '../log/logger.js';
import { packageRoot } from '../paths.js';
import { describeError, RemoteCallError, type CallOutcome } from './guarded-call.js';
import type { PluginManifest } from './manifest.js';
import { RateLimit } from '../log/rate-limit.js';
import { checkWorkerMessage, type CreatedInfo, type HostToWorker, type PluginWorkerData, type PortHandover, type RemoteMethod, type WorkerToHost } from './worker-protocol.js';

export interface IsolatedPluginOptions {
  manifest: PluginManifest;
  config: Record<string, unknown>;
  dataDir: string;
  /** Time limit of one scheduled task, enforced from this side too. */
  taskTimeoutMs: number;
  /** Heap limit of the thread; a plugin that needs more is stopped, not the daemon. */
  memoryMb: number;
  /** Memory outside the heap (Buffers, ArrayBuffers) the thread may hold, in MB; past it the thread is stopped. */
  bufferMb: number;
  /** A call unanswered this long is given up for good (the plugin hangs it forever). */
  staleCallMs: number;
  logger: Logger;
  onTaskOutcome(outcome: CallOutcome<unknown>): void;
  hotwordsChanged(): void;
  hotwords(language?: string): Promise<Hotword[]>;
  /**
   * The thread ended without being asked to (a crash, process.exit, out of memory, a broken
   * message). `counted`: the loss comes of a call or task whose timeout was already counted
   * as the plugin's failure (its thread stuck in it), so it is not a failure of its own.
   */
  onLost(reason: string, counted: boolean): void;
}

/** Thrown to calls still waiting when the host itself stops the thread: not the plugin's failure. */
export class PluginStoppedError extends Error {
  constructor(name: string) {
    super(`plugin ${name} was stopped`);
    this.name = 'PluginStoppedError';
  }
}

const workerUrl = pluginWorkerUrl();

/**
 * The worker's entry point: the .js next to this file, as installed. Run from source under a
 * TypeScript loader (the tests), the thread would inherit the loader and compile the worker's
 * whole import graph again, in every thread: eight plugins starting at once on two cores took
 * most of their 30 s start limit. So the compiled worker is used whenever the build has one
 * as new as its source; only without a fresh build does the thread compile the .ts itself.
 */
function pluginWorkerUrl(): URL {
  const here = new URL(import.meta.url);
  if (!here.pathname.endsWith('.ts')) return new URL('./plugin-worker.js', here);
  const source = new URL('./plugin-worker.ts', here);
  const pluginsDir = dirname(fileURLToPath(source));
  const fresh = [pluginsDir, join(pluginsDir, '..', 'log')].every(isBuilt);
  return fresh ? pathToFileURL(builtPath(fileURLToPath(source))) : source;
}

/** Where the build puts the .js of a .ts source. */
function builtPath(ts: string): string {
  return join(packageRoot, 'dist', relative(packageRoot, ts)).replace(/\.ts$/, '.js');
}

/** Whether every .ts in `dir` (the worker imports from it) has a .js built since it last changed. */
function isBuilt(dir: string): boolean {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
      .every((f) => statSync(join(dir, f)).mtimeMs <= statSync(builtPath(join(dir, f))).mtimeMs);
  } catch {
    return false;
  }
}

/**
 * A compiled worker needs none of the module loaders node was started with (the tests'
 * TypeScript loader, tap's hooks, whether the host runs from source or compiled): each would
 * run again in every thread, over the worker's whole import graph.
 */
const startedWithLoader = process.execArgv.some((arg) => /^(--import|--loader|--experimental-loader|--require|-r)(=|$)/.test(arg));
const workerExecArgv = startedWithLoader && workerUrl.pathname.endsWith('.js') ? { execArgv: [] } : {};
/** How long terminate() may take before the host stops waiting (a thread blocked in native code). */
const TERMINATE_WAIT_MS = 2000;
/** A task's outcome may arrive this long after its limit before the host counts it timed out. */
const TASK_GRACE_MS = 1000;
const MIB = 1024 * 1024;
/**
 * Scheduled tasks one plugin may have running at once; each holds a host timer. More means
 * its thread is broken (or forges messages), and it is stopped.
 */
const MAX_RUNNING_TASKS = 100;
/**
 * Log records the host takes from one thread: twice what the thread's own logger lets
 * through, so that limit (which reports what it drops) is the one that normally cuts, and
 * this one bounds a thread whose messages do not come from that logger.
 */
const HOST_LOGS_PER_SECOND = 100;
const HOST_LOG_BURST = 400;

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  since: number;
}

/**
 * A plugin run in its own worker thread. The host's time limits then hold even against a
 * plugin that blocks its event loop (a synchronous endless loop): the daemon's loop stays
 * free, the call times out, and terminating the thread stops the plugin. A crash, an
 * uncaught exception or `process.exit` inside the plugin ends only its thread. This is fault
 * isolation, not a security sandbox: the plugin still runs with the daemon's rights.
 */
export class IsolatedPlugin {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly pings = new Map<number, (alive: boolean) => void>();
  private readonly tasks = new Map<number, NodeJS.Timeout>();
  private readonly output = new RateLimit(50, 200);
  private readonly logs = new RateLimit(HOST_LOGS_PER_SECOND, HOST_LOG_BURST);
  private ended: string | undefined;
  /** Set once the host asked the plugin to stop: its late task outcomes no longer count. */
  private stopping = false;
  private terminating = false;
  private markReady!: () => void;
  private failStart!: (err: Error) => void;
  /** Resolves once the thread has imported the plugin; rejects with why it could not. */
  readonly ready = new Promise<void>((resolve, reject) => {
    this.markReady = resolve;
    this.failStart = reject;
  });

  constructor(private readonly options: IsolatedPluginOptions) {
    const channel = new MessageChannel();
    this.port = channel.port1;
    const workerData: PluginWorkerData = {
      manifest: options.manifest,
      config: options.config,
      dataDir: options.dataDir,
      taskTimeoutMs: options.taskTimeoutMs,
      logLevels: LOG_LEVELS.filter((level) => options.logger.enabled(level)),
    };
    this.worker = new Worker(workerUrl, {
      ...workerExecArgv,
      workerData,
      name: `earshot-plugin:${options.manifest.alias}`,
      resourceLimits: { maxOldGenerationSizeMb: options.memoryMb },
      // The plugin's stdout/stderr are not the daemon's: they go to its log, rate-limited.
      stdout: true,
      stderr: true,
    });
    this.worker.stdout.on('data', (chunk: Buffer) => this.printed('info', chunk));
    this.worker.stderr.on('data', (chunk: Buffer) => this.printed('warn', chunk));
    // Not in workerData, which plugin code can read: the worker takes this before importing the plugin.
    const handover: PortHandover = { port: channel.port2 };
    this.worker.postMessage(handover, [channel.port2]);
    this.port.on('message', (message: unknown) => this.onMessage(message));
    // Plugin code can post to parentPort; nothing the host trusts arrives there.
    this.worker.on('message', () => undefined);
    this.worker.on('error', (err) => this.end(`its thread failed: ${describeError(err)}`));
    this.worker.on('exit', (code) => this.end(`its thread exited with code ${code}`));
    // A plugin's thread must not keep a stopping daemon alive.
    this.worker.unref();
    this.port.unref();
    this.ready.catch(() => undefined); // observed by the host; never an unhandled rejection
  }

  /** Import and create the plugin in its thread; rejects with the plugin's error. */
  create(): Promise<CreatedInfo> {
    return this.call('create') as Promise<CreatedInfo>;
  }

  /** The instance the host runs: every method is a call into the thread. */
  instance(info: CreatedInfo): PluginInstance {
    const has = (kind: string) => info.kinds.includes(kind as never);
    const langs = info.languages ? { languages: info.languages } : {};
    return {
      ...(has('hotwords') ? { hotwordProvider: { hotwords: (language?: string) => this.call('hotwords', language) as Promise<Hotword[]> } } : {}),
      ...(has('normalizer') ? { normalizer: { ...langs, normalize: (input: TranscriptInput) => this.call('normalize', input) as Promise<TranscriptOutput> } } : {}),
      ...(has('filter') ? { filter: { ...langs, filter: (input: TranscriptInput) => this.call('filter', input) as Promise<TranscriptOutput> } } : {}),
      stop: () => {
        this.stopping = true;
        return this.call('stop') as Promise<void>;
      },
    };
  }

  /** Whether the thread's event loop answers within `timeoutMs` (a plugin stuck in a loop does not). */
  responsive(timeoutMs: number): Promise<boolean> {
    if (this.ended !== undefined) return Promise.resolve(false);
    const id = ++this.nextId;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pings.delete(id);
        resolve(false);
      }, timeoutMs);
      this.pings.set(id, (alive) => {
        clearTimeout(timer);
        resolve(alive);
      });
      this.send({ t: 'ping', id });
    });
  }

  /**
   * After a call or task ran past its limit: a thread that does not answer a ping either is
   * stuck in it (a synchronous loop), and then no task or call runs there again. Short of
   * maxFailures it would spin on unnoticed, burning a core, so it is stopped as lost.
   */
  stopIfStuck(what: string): void {
    void this.responsive(TASK_GRACE_MS).then((alive) => {
      if (!alive && this.ended === undefined) this.lose(`its thread is stuck in ${what} (past its time limit, it does not answer)`, true);
    });
  }

  /** Stop the thread wherever it is, even inside an endless loop; never waits more than a moment. */
  async terminate(): Promise<void> {
    if (this.ended !== undefined && !this.terminating) return;
    this.terminating = true;
    this.stopping = true;
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), TERMINATE_WAIT_MS)));
    const done = await Promise.race([this.worker.terminate().then(() => 'done' as const), gaveUp]);
    clearTimeout(timer);
    if (done === 'late') this.options.logger.warn(`plugin ${this.options.manifest.name}: its thread did not stop within ${TERMINATE_WAIT_MS} ms (blocked outside JavaScript?); going on without waiting`);
    this.end('stopped');
  }

  private call(method: RemoteMethod, arg?: unknown): Promise<unknown> {
    if (this.ended !== undefined) {
      return Promise.reject(this.terminating ? new PluginStoppedError(this.options.manifest.name) : new Error(`plugin ${this.options.manifest.name} is not running: ${this.ended}`));
    }
    this.dropStaleCalls();
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, since: performance.now() });
      try {
        this.send({ t: 'call', id, method, ...(arg !== undefined ? { arg } : {}) });
      } catch (err) {
        this.pending.delete(id);
        reject(new Error(`cannot pass the ${method} argument to the plugin's thread (${describeError(err)})`));
      }
    });
  }

  /** Calls the plugin never answered (a promise it never settles) are forgotten, not kept forever. */
  private dropStaleCalls(): void {
    const cutoff = performance.now() - this.options.staleCallMs;
    for (const [id, p] of this.pending) {
      if (p.since > cutoff) break; // insertion order: the rest are newer
      this.pending.delete(id);
      p.reject(new Error(`no answer after ${this.options.staleCallMs} ms`));
    }
  }

  private send(message: HostToWorker): void {
    this.port.postMessage(message);
  }

  private printed(level: 'info' | 'warn', chunk: Buffer): void {
    if (!this.output.take()) return this.output.reportDrops((n) => this.options.logger.warn(`${n} chunks of the plugin's stdout/stderr dropped: it printed more than 50 per second`));
    this.options.logger[level](chunk.toString('utf8').trimEnd());
  }

  private onMessage(raw: unknown): void {
    if (this.ended !== undefined) return;
    const message = checkWorkerMessage(raw);
    if (!message) {
      this.lose('its thread sent a malformed message');
      return;
    }
    try {
      this.handle(message);
    } catch (err) {
      this.lose(`handling a message from its thread failed: ${describeError(err)}`);
    }
  }

  private handle(message: WorkerToHost): void {
    const o = this.options;
    switch (message.t) {
      case 'ready':
        return this.markReady();
      case 'load-failed':
        return this.failStart(new Error(message.error));
      case 'pong':
        this.pings.get(message.id)?.(true);
        this.pings.delete(message.id);
        return;
      case 'reply': {
        const pending = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (message.ok) pending?.resolve(message.value);
        else pending?.reject(new RemoteCallError(message.error, message.how, message.at));
        return;
      }
      case 'log':
        if (!this.logs.take()) return this.logs.reportDrops((n) => o.logger.warn(`${n} log records from the plugin's thread dropped: more than ${HOST_LOGS_PER_SECOND} per second`));
        return o.logger[message.level](message.message, message.fields);
      case 'task-start': {
        if (this.stopping || this.tasks.has(message.id)) return;
        if (this.tasks.size >= MAX_RUNNING_TASKS) return this.lose(`its thread reported more than ${MAX_RUNNING_TASKS} scheduled tasks running at once`);
        const limit = o.taskTimeoutMs + TASK_GRACE_MS;
        // Timed from here: a task stuck in a synchronous loop never reports its own timeout.
        const timer = setTimeout(() => {
          this.tasks.delete(message.id);
          if (this.stopping) return;
          // The thread's own limit did not end the task: its event loop is likely blocked.
          o.onTaskOutcome({ ok: false, reason: `timed out after ${o.taskTimeoutMs} ms` });
          this.stopIfStuck('a scheduled task');
        }, limit);
        timer.unref();
        this.tasks.set(message.id, timer);
        return;
      }
      case 'task-end': {
        const timer = this.tasks.get(message.id);
        if (timer === undefined || this.stopping) return; // already counted as timed out
        clearTimeout(timer);
        this.tasks.delete(message.id);
        if (message.ok) return o.onTaskOutcome({ ok: true, value: undefined });
        return o.onTaskOutcome({ ok: false, reason: message.reason ?? 'failed', ...(message.at !== undefined ? { at: message.at } : {}) });
      }
      case 'hotwords-changed':
        if (!this.stopping) o.hotwordsChanged();
        return;
      case 'memory':
        if (message.externalBytes > o.bufferMb * MIB) {
          return this.lose(`its thread held ${Math.round(message.externalBytes / MIB)} MB outside its JavaScript heap (Buffers, ArrayBuffers), more than plugins.threadBufferMb (${o.bufferMb} MB)`);
        }
        return;
      case 'hotwords-request':
        o.hotwords(message.language).then(
          (value) => this.ended === undefined && this.send({ t: 'hotwords-reply', id: message.id, ok: true, value }),
          (err: unknown) => this.ended === undefined && this.send({ t: 'hotwords-reply', id: message.id, ok: false, error: describeError(err) }),
        );
        return;
    }
  }

  /** The thread broke the protocol: stop it and report it lost. */
  private lose(reason: string, counted = false): void {
    this.end(reason, counted);
    void this.worker.terminate();
  }

  private end(reason: string, counted = false): void {
    if (this.ended !== undefined) return;
    const asked = this.terminating;
    this.ended = asked ? 'stopped' : reason;
    this.failStart(new Error(`plugin ${this.options.manifest.name}: ${this.ended} before it was ready`));
    for (const { reject } of this.pending.values()) reject(asked ? new PluginStoppedError(this.options.manifest.name) : new Error(`plugin ${this.options.manifest.name}: ${this.ended}`));
    this.pending.clear();
    for (const answer of this.pings.values()) answer(false);
    this.pings.clear();
    for (const timer of this.tasks.values()) clearTimeout(timer);
    this.tasks.clear();
    this.port.close();
    if (!asked) this.options.onLost(reason, counted);
  }
}
