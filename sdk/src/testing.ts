/**
 * `@earshot/sdk/testing` — run a plugin in a unit test without a daemon.
 *
 * {@link createTestContext} builds a {@link PluginContext} whose logger records lines, whose
 * store lives in memory, whose schedules and file watches fire when the test says so, and
 * whose `hotwords()` returns what the test set.
 *
 * @example
 * ```ts
 * import { createTestContext } from '@earshot/sdk/testing';
 * import plugin from '../src/index.js';
 * const fake = createTestContext({ name: 'my-plugin', config: { word: 'secret' } });
 * const instance = await plugin.create(fake.context);
 * const out = await instance.filter!.filter({ text: 'a secret', words: [] });
 * // out.text === 'a ***'
 * await fake.stop();
 * ```
 * @packageDocumentation
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { API_VERSION } from './version.js';
import type { Disposable, JsonValue, KeyValueStore, LogFields, PluginContext, ScheduleSpec } from './context.js';
import type { Hotword } from './hotwords.js';

/** One line the plugin logged through its context. */
export interface LogRecord {
  level: 'error' | 'warn' | 'info' | 'debug';
  message: string;
  fields?: LogFields;
}

/** A schedule the plugin registered with {@link PluginContext.schedule}. */
export interface ScheduledTask {
  spec: ScheduleSpec;
  task: () => void | Promise<void>;
  /** True after the plugin or {@link TestContext.stop} disposed it. */
  disposed: boolean;
}

/** Options of {@link createTestContext}. */
export interface TestContextOptions<C> {
  /** Plugin name; default `"test-plugin"`. */
  name?: string;
  /** The config the plugin sees (not validated here; the host validates against the schema). */
  config?: C;
  /** The plugin's data directory; default a fresh temporary directory, removed when the test's process exits. */
  dataDir?: string;
  /** What `context.hotwords()` returns; change it later with {@link TestContext.setHotwords}. */
  hotwords?: Hotword[];
}

/** A fake context plus the levers and records a test needs. */
export interface TestContext<C> {
  /** Hand this to the plugin's `create`. */
  readonly context: PluginContext<C>;
  /** Everything the plugin logged, in order. */
  readonly logs: LogRecord[];
  /** Every schedule the plugin registered. */
  readonly schedules: ScheduledTask[];
  /** How many times the plugin called `hotwordsChanged()`. */
  readonly hotwordsChangedCalls: number;
  /** Run every schedule that is not disposed, once, in registration order. */
  runScheduled(): Promise<void>;
  /** Call the `watchFile` callbacks registered for `path` (as if the file changed) and wait for them. */
  fileChanged(path: string): Promise<void>;
  /** Replace what `context.hotwords()` returns. */
  setHotwords(hotwords: Hotword[]): void;
  /** Abort the context's signal and dispose every schedule and watch, as the host does on stop. */
  stop(): Promise<void>;
}

/** A {@link KeyValueStore} in memory, deep-copying values as a JSON file would. */
function memoryStore(): KeyValueStore {
  const data = new Map<string, string>();
  return {
    async get<T extends JsonValue = JsonValue>(key: string) {
      const raw = data.get(key);
      return raw === undefined ? undefined : (JSON.parse(raw) as T);
    },
    async set(key, value) {
      data.set(key, JSON.stringify(value));
    },
    async delete(key) {
      return data.delete(key);
    },
    async keys() {
      return [...data.keys()];
    },
  };
}

/** node-cron's names for common schedules ("@daily" = "0 0 * * *"), which the host takes in any case. */
const CRON_NICKNAMES = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);

/**
 * Refuse what the host's `schedule` refuses, so that a unit test fails where the daemon
 * would: an interval under 1000 ms, and a string that is neither five or six cron fields nor
 * one of node-cron's nicknames. The host (node-cron) also checks each field's range; this
 * checks only the shape, and never refuses what the host runs ("@daily", "MON#2").
 */
function checkScheduleSpec(spec: ScheduleSpec): void {
  if (typeof spec === 'number') {
    if (!Number.isFinite(spec) || spec < 1000) throw new Error(`schedule: interval ${spec} ms is below the 1000 ms minimum; use a longer interval or a cron expression`);
    return;
  }
  const text = String(spec).trim();
  if (CRON_NICKNAMES.has(text.toLowerCase())) return;
  const fields = text.split(/\s+/);
  if ((fields.length !== 5 && fields.length !== 6) || !fields.every((f) => /^[0-9A-Za-z*/,?#-]+$/.test(f))) {
    throw new Error(`schedule: "${spec}" is not a valid cron expression; use five or six fields, e.g. "*/10 * * * *" for every ten minutes`);
  }
}

const madeDataDirs: string[] = [];

/** A fresh folder for a plugin's files, removed at exit so that test runs do not fill /tmp. The
 *  'exit' event allows only synchronous work; a folder that cannot be removed is left. */
function temporaryDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'earshot-plugin-test-'));
  if (madeDataDirs.push(dir) === 1) {
    process.on('exit', () => {
      for (const made of madeDataDirs) {
        try {
          rmSync(made, { recursive: true, force: true });
        } catch {
          // left in place: the test is over
        }
      }
    });
  }
  return dir;
}

/** Build a fake {@link PluginContext} for unit tests; see the module example. */
export function createTestContext<C = Record<string, unknown>>(options: TestContextOptions<C> = {}): TestContext<C> {
  const logs: LogRecord[] = [];
  const schedules: ScheduledTask[] = [];
  const watches: Array<{ path: string; onChange: () => void | Promise<void>; disposed: boolean }> = [];
  const abort = new AbortController();
  let hotwords = options.hotwords ?? [];
  let changed = 0;
  const log =
    (level: LogRecord['level']) =>
    (message: string | (() => string), fields?: LogFields): void => {
      const record: LogRecord = { level, message: typeof message === 'function' ? message() : message };
      if (fields) record.fields = fields;
      logs.push(record);
    };
  const context: PluginContext<C> = {
    name: options.name ?? 'test-plugin',
    apiVersion: API_VERSION,
    logger: { error: log('error'), warn: log('warn'), info: log('info'), debug: log('debug') },
    config: (options.config ?? {}) as C,
    dataDir: options.dataDir ?? temporaryDataDir(),
    store: memoryStore(),
    signal: abort.signal,
    schedule(spec, task): Disposable {
      if (abort.signal.aborted) throw new Error(`plugin ${context.name} is stopped; it cannot schedule tasks`);
      checkScheduleSpec(spec);
      const entry: ScheduledTask = { spec, task, disposed: false };
      schedules.push(entry);
      return { dispose: () => void (entry.disposed = true) };
    },
    watchFile(path, onChange): Disposable {
      if (abort.signal.aborted) throw new Error(`plugin ${context.name} is stopped; it cannot watch files`);
      // The host watches the file's folder, so a missing folder fails there at once.
      const folder = dirname(resolve(path));
      if (!existsSync(folder)) throw new Error(`watchFile: cannot watch ${resolve(path)} (its folder ${folder} does not exist); its folder must exist`);
      const entry = { path, onChange, disposed: false };
      watches.push(entry);
      return { dispose: () => void (entry.disposed = true) };
    },
    hotwordsChanged() {
      changed++;
    },
    async hotwords(language) {
      return hotwords.filter((h) => language === undefined || h.language === undefined || h.language === language);
    },
  };
  return {
    context,
    logs,
    schedules,
    get hotwordsChangedCalls() {
      return changed;
    },
    async runScheduled() {
      for (const s of schedules) if (!s.disposed) await s.task();
    },
    async fileChanged(path) {
      for (const w of watches) if (!w.disposed && w.path === path) await w.onChange();
    },
    setHotwords(list) {
      hotwords = list;
    },
    async stop() {
      abort.abort();
      for (const s of schedules) s.disposed = true;
      for (const w of watches) w.disposed = true;
    },
  };
}
