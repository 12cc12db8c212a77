import { Worker } from 'node:worker_threads';
import type { Hotword, PluginInstance, TranscriptInput, TranscriptOutput } from '@earshot/sdk';
import { LOG_LEVELS, type Logger } from '../log/logger.js';
import { describeError, RemoteCallError, type CallOutcome } from './guarded-call.js';
import type { PluginManifest } from './manifest.js';
import type { CreatedInfo, HostToWorker, PluginWorkerData, RemoteMethod, WorkerToHost } from './worker-protocol.js';

export interface IsolatedPluginOptions {
  manifest: PluginManifest;
  config: Record<string, unknown>;
  dataDir: string;
  taskTimeoutMs: number;
  /** Heap limit of the thread; a plugin that needs more is stopped, not the daemon. */
  memoryMb: number;
  logger: Logger;
  onTaskOutcome(outcome: CallOutcome<unknown>): void;
  hotwordsChanged(): void;
  hotwords(language?: string): Promise<Hotword[]>;
  /**
   * The thread ended without being asked to (a crash, process.exit, out of memory).
   * `callsFailed`: calls were waiting, and each fails (and is counted) on its own.
   */
  onLost(reason: string, callsFailed: boolean): void;
}

// Run from source under a TypeScript loader, the worker is the .ts next to this file; the
// thread inherits the loader through execArgv.
const workerUrl = new URL(`./plugin-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

/**
 * A plugin run in its own worker thread. The host's time limits then hold even against a
 * plugin that blocks its event loop (a synchronous endless loop): the daemon's loop stays
 * free, the call times out, and terminating the thread stops the plugin. A crash, an
 * uncaught exception or `process.exit` inside the plugin ends only its thread.
 */
export class IsolatedPlugin {
  private readonly worker: Worker;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(err: Error): void }>();
  private ended: string | undefined;
  private terminating = false;
  private markReady!: () => void;
  private failStart!: (err: Error) => void;
  /** Resolves once the thread has imported the plugin; rejects with why it could not. */
  readonly ready = new Promise<void>((resolve, reject) => {
    this.markReady = resolve;
    this.failStart = reject;
  });

  constructor(private readonly options: IsolatedPluginOptions) {
    const workerData: PluginWorkerData = {
      manifest: options.manifest,
      config: options.config,
      dataDir: options.dataDir,
      taskTimeoutMs: options.taskTimeoutMs,
      logLevels: LOG_LEVELS.filter((level) => options.logger.enabled(level)),
    };
    this.worker = new Worker(workerUrl, {
      workerData,
      name: `earshot-plugin:${options.manifest.alias}`,
      resourceLimits: { maxOldGenerationSizeMb: options.memoryMb },
      // The plugin's stdout/stderr are not the daemon's: its output goes through its logger.
      stdout: true,
      stderr: true,
    });
    this.worker.stdout.on('data', (chunk: Buffer) => options.logger.info(chunk.toString('utf8').trimEnd()));
    this.worker.stderr.on('data', (chunk: Buffer) => options.logger.warn(chunk.toString('utf8').trimEnd()));
    this.worker.on('message', (message: WorkerToHost) => this.onMessage(message));
    this.worker.on('error', (err) => this.end(`its thread failed: ${describeError(err)}`));
    this.worker.on('exit', (code) => this.end(`its thread exited with code ${code}`));
    // A plugin's thread must not keep a stopping daemon alive.
    this.worker.unref();
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
      stop: () => this.call('stop') as Promise<void>,
    };
  }

  /** Whether a call is still waiting for the thread (a stuck plugin never answers). */
  get busy(): boolean {
    return this.pending.size > 0;
  }

  /** Stop the thread wherever it is, even inside an endless loop. */
  async terminate(): Promise<void> {
    this.terminating = true;
    await this.worker.terminate();
  }

  private call(method: RemoteMethod, arg?: unknown): Promise<unknown> {
    if (this.ended !== undefined) return Promise.reject(new Error(`plugin ${this.options.manifest.name} is not running: ${this.ended}`));
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      try {
        this.send({ t: 'call', id, method, ...(arg !== undefined ? { arg } : {}) });
      } catch (err) {
        this.pending.delete(id);
        reject(new Error(`cannot pass the ${method} argument to the plugin's thread (${describeError(err)})`));
      }
    });
  }

  private send(message: HostToWorker): void {
    this.worker.postMessage(message);
  }

  private onMessage(message: WorkerToHost): void {
    const o = this.options;
    switch (message.t) {
      case 'ready':
        this.markReady();
        return;
      case 'load-failed':
        this.failStart(new Error(message.error));
        return;
      case 'reply': {
        const pending = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (message.ok) pending?.resolve(message.value);
        else pending?.reject(new RemoteCallError(message.error, message.how));
        return;
      }
      case 'log':
        o.logger[message.level](message.message, message.fields);
        return;
      case 'task':
        o.onTaskOutcome(message.outcome);
        return;
      case 'hotwords-changed':
        o.hotwordsChanged();
        return;
      case 'hotwords-request':
        o.hotwords(message.language).then(
          (value) => this.ended === undefined && this.send({ t: 'hotwords-reply', id: message.id, ok: true, value }),
          (err: unknown) => this.ended === undefined && this.send({ t: 'hotwords-reply', id: message.id, ok: false, error: describeError(err) }),
        );
        return;
    }
  }

  private end(reason: string): void {
    if (this.ended !== undefined) return;
    this.ended = this.terminating ? 'stopped' : reason;
    this.failStart(new Error(`plugin ${this.options.manifest.name}: ${this.ended} before it was ready`));
    const callsFailed = this.pending.size > 0;
    for (const { reject } of this.pending.values()) reject(new Error(`plugin ${this.options.manifest.name}: ${this.ended}`));
    this.pending.clear();
    if (!this.terminating) this.options.onLost(reason, callsFailed);
  }
}
