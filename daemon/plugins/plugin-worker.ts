import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { Hotword, PluginDefinition, PluginInstance } from '@earshot/sdk';
import { LOG_LEVELS, type LogFields, type LogLevel, type LogMessage, type Logger } from '../log/logger.js';
import { atSuffix, errorLocation } from './error-location.js';
import { describeError } from './guarded-call.js';
import { openPluginContext, type OpenContext } from './plugin-context.js';
import { oversizeHotwords, oversizeTranscript, type TranscriptSize } from './plugin-results.js';
import { importDefinition, instanceKinds } from './plugin-loader.js';
import { RateLimit } from '../log/rate-limit.js';
import type { CreatedInfo, HostToWorker, PluginWorkerData, PortHandover, RemoteMethod, WorkerToHost } from './worker-protocol.js';

/**
 * The entry point of a plugin's worker thread. It imports the plugin, builds its context here
 * (store, schedules and file watches run in this thread) and answers the host's calls on a
 * private port. Log records, task starts and ends, and hotword requests go to the host as
 * messages. The host times every call and task, and terminates this thread when the plugin
 * stops or hangs.
 */
const data = workerData as PluginWorkerData;
// The private port arrives as the host's first message, and only this module holds it: the
// plugin, imported below after it arrived, can reach workerData and parentPort, not this.
const port = await new Promise<MessagePort>((resolve) => parentPort!.once('message', (handover: PortHandover) => resolve(handover.port)));
const post = (message: WorkerToHost): void => port.postMessage(message);

// The heap has its limit (resourceLimits); Buffers and ArrayBuffers live outside it, so the
// host is told how much this thread holds there and stops it past plugins.threadBufferMb.
// Per thread: process.memoryUsage() reports this isolate's external memory, not the process's.
const MEMORY_REPORT_MS = 1000;
setInterval(() => post({ t: 'memory', externalBytes: process.memoryUsage().external }), MEMORY_REPORT_MS).unref();

// A plugin that logs in a loop must not fill the daemon's memory with records.
const LOGS_PER_SECOND = 50;
const LOG_BURST = 200;

function forwardingLogger(levels: readonly LogLevel[]): Logger {
  const limit = new RateLimit(LOGS_PER_SECOND, LOG_BURST);
  const reportDropped = (n: number) => post({ t: 'log', level: 'warn', message: `${n} log records dropped: the plugin logged more than ${LOGS_PER_SECOND} per second` });
  const emit = (level: LogLevel) => (message: LogMessage, fields?: LogFields) => {
    if (!levels.includes(level)) return;
    if (!limit.take()) return limit.reportDrops(reportDropped);
    const text = typeof message === 'function' ? message() : message;
    try {
      post({ t: 'log', level, message: text, ...(fields ? { fields } : {}) });
    } catch {
      // Fields that cannot be cloned (functions, sockets) are sent as text.
      post({ t: 'log', level, message: `${text} ${describeError(fields)}` });
    }
  };
  const logger: Logger = {
    namespace: `plugin:${data.manifest.alias}`,
    error: emit('error'),
    warn: emit('warn'),
    info: emit('info'),
    debug: emit('debug'),
    trace: emit('trace'),
    enabled: (level) => levels.includes(level),
    child: () => logger,
  };
  return logger;
}

/** The `at` field of a failure message, present only when known. */
const atOf = (at: string | undefined): { at?: string } => (at === undefined ? {} : { at });

let nextRequest = 0;
let nextTask = 0;
const hotwordRequests = new Map<number, { resolve(value: Hotword[]): void; reject(err: Error): void }>();
let definition: PluginDefinition<unknown> | undefined;
let instance: PluginInstance | undefined;
let open: OpenContext | undefined;

async function create(): Promise<CreatedInfo> {
  if (!definition) throw new Error(`plugin ${data.manifest.name} was not loaded`);
  open = openPluginContext({
    name: data.manifest.name,
    logger: forwardingLogger(data.logLevels.filter((l) => LOG_LEVELS.includes(l))),
    config: data.config,
    dataDir: data.dataDir,
    taskTimeoutMs: data.taskTimeoutMs,
    taskStarted: () => {
      const id = ++nextTask;
      post({ t: 'task-start', id });
      return id;
    },
    // Only ok and the reason travel: a task's return value need not survive a structured clone.
    onTaskOutcome: (outcome, id) => post({ t: 'task-end', id: id ?? 0, ok: outcome.ok, ...(outcome.ok ? {} : { reason: outcome.reason, ...atOf(outcome.at) }) }),
    hotwordsChanged: () => post({ t: 'hotwords-changed' }),
    hotwords: (language) =>
      new Promise<Hotword[]>((resolve, reject) => {
        const id = ++nextRequest;
        hotwordRequests.set(id, { resolve, reject });
        post({ t: 'hotwords-request', id, ...(language !== undefined ? { language } : {}) });
      }),
  });
  let created: ReturnType<PluginDefinition<unknown>['create']>;
  try {
    created = definition.create(open.context);
  } catch (err) {
    throw new Error(`create() threw: ${describeError(err)}${atSuffix(errorLocation(err))}`);
  }
  try {
    instance = await created;
  } catch (err) {
    throw new Error(`create() rejected: ${describeError(err)}${atSuffix(errorLocation(err))}`);
  }
  const kinds = instanceKinds(data.manifest.name, instance);
  const languages = instance.normalizer?.languages ?? instance.filter?.languages;
  return { kinds, ...(languages ? { languages: [...languages] } : {}), ...(definition.description !== undefined ? { description: definition.description } : {}) };
}

/** Start the plugin method; a synchronous throw stays distinguishable from a rejection. */
function invoke(method: RemoteMethod, arg: unknown): unknown {
  if (method === 'create') return create();
  if (method === 'stop') {
    open?.close();
    return instance?.stop?.();
  }
  if (!instance) throw new Error(`plugin ${data.manifest.name} was not created`);
  if (method === 'hotwords') return instance.hotwordProvider!.hotwords(arg as string | undefined);
  if (method === 'normalize') return instance.normalizer!.normalize(arg as never);
  return instance.filter!.filter(arg as never);
}

/**
 * Why a result is too large to send, if it is. The host checks again; checking here too keeps
 * a runaway result (hundreds of MB of text) from being copied into the daemon's heap at all.
 */
function oversize(method: RemoteMethod, arg: unknown, value: unknown): string | undefined {
  if (method === 'hotwords') return oversizeHotwords(value);
  if (method === 'normalize' || method === 'filter') return oversizeTranscript(value, arg as TranscriptSize);
  return undefined;
}

port.on('message', (message: HostToWorker) => {
  if (message.t === 'ping') return post({ t: 'pong', id: message.id });
  if (message.t === 'hotwords-reply') {
    const pending = hotwordRequests.get(message.id);
    hotwordRequests.delete(message.id);
    if (message.ok) pending?.resolve(message.value as Hotword[]);
    else pending?.reject(new Error(message.error));
    return;
  }
  const { id } = message;
  let result: unknown;
  try {
    result = invoke(message.method, message.arg);
  } catch (err) {
    post({ t: 'reply', id, ok: false, error: describeError(err), how: 'threw', ...atOf(errorLocation(err)) });
    return;
  }
  Promise.resolve(result).then(
    (value) => {
      const tooLarge = oversize(message.method, message.arg, value);
      if (tooLarge !== undefined) return post({ t: 'reply', id, ok: false, error: tooLarge, how: 'returned' });
      try {
        post({ t: 'reply', id, ok: true, value });
      } catch (err) {
        post({ t: 'reply', id, ok: false, error: `returned a value that cannot leave its thread (${describeError(err)})`, how: 'rejected' });
      }
    },
    (err: unknown) => post({ t: 'reply', id, ok: false, error: describeError(err), how: 'rejected', ...atOf(errorLocation(err)) }),
  );
});

// The plugin's module is imported before the host starts timing its create(): loading a
// fresh thread's modules is not the plugin's time.
importDefinition(data.manifest).then(
  (loaded) => {
    definition = loaded;
    post({ t: 'ready' });
  },
  (err: unknown) => post({ t: 'load-failed', error: describeError(err) }),
);
