import type { LogLevel } from '../log/logger.js';
import type { CallOutcome } from './guarded-call.js';
import type { PluginManifest } from './manifest.js';
import type { PluginKind } from './types.js';

/**
 * Messages between the plugin host and a plugin running in its own worker thread. Every
 * value crosses by structured clone, so only plain data travels: transcripts, hotword
 * lists, log records, error messages.
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
  | { t: 'hotwords-reply'; id: number; ok: true; value: unknown }
  | { t: 'hotwords-reply'; id: number; ok: false; error: string };

export type WorkerToHost =
  | { t: 'ready' }
  | { t: 'load-failed'; error: string }
  | { t: 'reply'; id: number; ok: true; value: unknown }
  | { t: 'reply'; id: number; ok: false; error: string; how: 'threw' | 'rejected' }
  | { t: 'log'; level: LogLevel; message: string; fields?: Record<string, unknown> }
  | { t: 'task'; outcome: CallOutcome<unknown> }
  | { t: 'hotwords-changed' }
  | { t: 'hotwords-request'; id: number; language?: string };
