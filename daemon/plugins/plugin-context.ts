import { mkdirSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import cron from 'node-cron';
import { API_VERSION, type Disposable, type Hotword, type PluginContext, type PluginLogger, type ScheduleSpec } from '@earshot/sdk';
import type { Logger } from '../log/logger.js';
import { JsonFileStore } from './kv-store.js';
import { guardedCall, type CallOutcome } from './guarded-call.js';

/** What the host gives {@link openPluginContext} for one plugin. */
export interface PluginContextOptions {
  name: string;
  /** The host's logger for this plugin (namespace `earshot:plugins:<alias>`). */
  logger: Logger;
  config: Record<string, unknown>;
  dataDir: string;
  /** Time limit of one scheduled task run. */
  taskTimeoutMs: number;
  /** Called with the outcome of every scheduled task run, so failures count like any other. */
  onTaskOutcome(outcome: CallOutcome<unknown>, taskId?: number): void;
  /**
   * Called as a task starts; the id it returns comes back with the outcome. A plugin's own
   * thread uses it so the host can time the task from outside (a task stuck in a
   * synchronous loop never reaches its own time limit).
   */
  taskStarted?(): number;
  hotwordsChanged(): void;
  hotwords(language?: string): Promise<Hotword[]>;
}

/** A plugin's context and the handle that releases everything it registered. */
export interface OpenContext {
  context: PluginContext;
  /** Abort the signal, stop every schedule and file watch. Safe to call twice. */
  close(): void;
}

/** Editors save by writing a temp file and renaming; wait for the burst of events to end. */
const WATCH_DEBOUNCE_MS = 100;
const MIN_INTERVAL_MS = 1000;

function pluginLogger(logger: Logger): PluginLogger {
  return { error: logger.error, warn: logger.warn, info: logger.info, debug: logger.debug };
}

/** Build the narrow context one plugin sees, tracking every schedule and watch it opens. */
export function openPluginContext(options: PluginContextOptions): OpenContext {
  const abort = new AbortController();
  const disposers = new Set<() => void>();
  const track = (dispose: () => void): Disposable => {
    let done = false;
    const once = (): void => {
      if (done) return;
      done = true;
      disposers.delete(once);
      dispose();
    };
    disposers.add(once);
    return { dispose: once };
  };
  const runTask = async (task: () => void | Promise<void>): Promise<void> => {
    if (abort.signal.aborted) return;
    const id = options.taskStarted?.();
    options.onTaskOutcome(await guardedCall(task, options.taskTimeoutMs), id);
  };
  try {
    mkdirSync(options.dataDir, { recursive: true, mode: 0o750 });
  } catch (err) {
    // A read-only or foreign data dir (the CLI's offline mode as a normal user) must not stop
    // the plugin; only its own writes there will fail, and those are its failures.
    options.logger.warn(`plugin data folder ${options.dataDir} cannot be created: ${(err as Error).message}`);
  }

  const context: PluginContext = {
    name: options.name,
    apiVersion: API_VERSION,
    logger: pluginLogger(options.logger),
    config: options.config,
    dataDir: options.dataDir,
    store: new JsonFileStore(options.dataDir),
    signal: abort.signal,
    schedule(spec: ScheduleSpec, task): Disposable {
      if (abort.signal.aborted) throw new Error(`plugin ${options.name} is stopped; it cannot schedule tasks`);
      if (typeof spec === 'number') {
        if (!Number.isFinite(spec) || spec < MIN_INTERVAL_MS) {
          throw new Error(`schedule: interval ${spec} ms is below the ${MIN_INTERVAL_MS} ms minimum; use a longer interval or a cron expression`);
        }
        const timer = setInterval(() => void runTask(task), spec);
        timer.unref();
        return track(() => clearInterval(timer));
      }
      if (!cron.validate(spec)) {
        throw new Error(`schedule: "${spec}" is not a valid cron expression; use five or six fields, e.g. "*/10 * * * *" for every ten minutes`);
      }
      const job = cron.schedule(spec, () => runTask(task), { noOverlap: true, name: `${options.name}:${spec}` });
      return track(() => void job.destroy());
    },
    watchFile(path, onChange): Disposable {
      if (abort.signal.aborted) throw new Error(`plugin ${options.name} is stopped; it cannot watch files`);
      const file = resolve(path);
      let timer: NodeJS.Timeout | undefined;
      let watcher: FSWatcher;
      try {
        // Watch the folder, not the file: a file replaced by rename keeps firing this way.
        watcher = watch(dirname(file), { persistent: false }, (_event, name) => {
          if (name !== null && name !== basename(file)) return;
          clearTimeout(timer);
          // Guarded like a scheduled task: a throw or rejection here is the plugin's failure,
          // not an uncaught exception that would stop the daemon.
          timer = setTimeout(() => void runTask(onChange), WATCH_DEBOUNCE_MS);
        });
      } catch (err) {
        throw new Error(`watchFile: cannot watch ${file} (${(err as Error).message}); its folder must exist`);
      }
      watcher.on('error', (err) => options.logger.warn(`watching ${file} failed`, { error: err }));
      return track(() => {
        clearTimeout(timer);
        watcher.close();
      });
    },
    hotwordsChanged: () => {
      if (!abort.signal.aborted) options.hotwordsChanged();
    },
    hotwords: (language) => options.hotwords(language),
  };
  return {
    context,
    close() {
      abort.abort();
      for (const dispose of [...disposers]) dispose();
    },
  };
}
