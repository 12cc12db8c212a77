import type { MessagePort } from 'node:worker_threads';
import { LOG_LEVELS, type LogLevel } from '../log/logger.js';
import { REMOTE_FAILURES, type RemoteFailure } from './guarded-call.js';
import type { PluginManifest } from './manifest.js';
import type { PluginKind } from './types.js';

/**
 * Messages between the plugin host and a plugin running in its own worker thread, over a
 * private MessagePort (not `parentPort`, which plugin code can reach). The port is handed over
 * in the first message on `parentPort` ({@link PortHandover}), which the worker takes before it
 * imports any plugin code; it is not in `workerData`, which plugin code can read. Every value
 * crosses by structured clone, so only plain data travels: transcripts, hotword lists, log
 * records, error messages.
 */

/** What the worker is started with (`workerData`). */
export interface PluginWorkerData {
  manifest: PluginManifest;
  config: Record<string, unknown>;
  dataDir: string;
  taskTimeoutMs: number;
  /** Log levels the host will print; the worker builds lazy messages only for these. */
  logLevels: LogLevel[];
}

/** The host's first and only message on `parentPort`: the worker's end of the private channel (transferred). */
export interface PortHandover {
  port: MessagePort;
}

/** The plugin methods the host calls across the thread boundary. */
export type RemoteMethod = 'create' | 'hotwords' | 'normalize' | 'filter' | 'stop';

/** What `create` answers: the kinds the instance provides and what `plugins list` shows. */
export interface CreatedInfo {
  kinds: PluginKind[];
  languages?: string[];
  description?: string;
}

export type HostToWorker =
  | { t: 'call'; id: number; method: RemoteMethod; arg?: unknown }
  | { t: 'ping'; id: number }
  | { t: 'hotwords-reply'; id: number; ok: true; value: unknown }
  | { t: 'hotwords-reply'; id: number; ok: false; error: string };

export type WorkerToHost =
  | { t: 'ready' }
  | { t: 'load-failed'; error: string }
  | { t: 'pong'; id: number }
  | { t: 'reply'; id: number; ok: true; value: unknown }
  | { t: 'reply'; id: number; ok: false; error: string; how: RemoteFailure; at?: string }
  | { t: 'log'; level: LogLevel; message: string; fields?: Record<string, unknown> }
  | { t: 'task-start'; id: number }
  | { t: 'task-end'; id: number; ok: boolean; reason?: string; at?: string }
  | { t: 'hotwords-changed' }
  | { t: 'hotwords-request'; id: number; language?: string }
  /** The thread's memory outside its JavaScript heap (`process.memoryUsage().external`), every second. */
  | { t: 'memory'; externalBytes: number };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is number => Number.isSafeInteger(v);
const optionalString = (v: unknown): boolean => v === undefined || typeof v === 'string';

/** The message, if it has the shape its type says; anything else is a broken thread. */
export function checkWorkerMessage(m: unknown): WorkerToHost | undefined {
  if (!isRecord(m)) return undefined;
  switch (m['t']) {
    case 'ready':
    case 'hotwords-changed':
      return m as WorkerToHost;
    case 'memory':
      return typeof m['externalBytes'] === 'number' && m['externalBytes'] >= 0 ? (m as WorkerToHost) : undefined;
    case 'load-failed':
      return typeof m['error'] === 'string' ? (m as WorkerToHost) : undefined;
    case 'pong':
    case 'task-start':
      return isId(m['id']) ? (m as WorkerToHost) : undefined;
    case 'reply':
      if (!isId(m['id']) || typeof m['ok'] !== 'boolean') return undefined;
      return m['ok'] || (typeof m['error'] === 'string' && (REMOTE_FAILURES as readonly unknown[]).includes(m['how']) && optionalString(m['at'])) ? (m as WorkerToHost) : undefined;
    case 'log':
      return LOG_LEVELS.includes(m['level'] as LogLevel) && typeof m['message'] === 'string' && (m['fields'] === undefined || isRecord(m['fields'])) ? (m as WorkerToHost) : undefined;
    case 'task-end':
      return isId(m['id']) && typeof m['ok'] === 'boolean' && optionalString(m['reason']) && optionalString(m['at']) ? (m as WorkerToHost) : undefined;
    case 'hotwords-request':
      return isId(m['id']) && (m['language'] === undefined || typeof m['language'] === 'string') ? (m as WorkerToHost) : undefined;
    default:
      return undefined;
  }
}
