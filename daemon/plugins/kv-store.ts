import { mkdirSync, readFileSync } from 'node:fs';
import { replaceFileSync } from '../scheduler/durable-file.js';
import { join } from 'node:path';
import type { JsonValue, KeyValueStore } from '@earshot/sdk';

/**
 * A plugin's key-value store: one JSON file (`store.json`) in the plugin's data folder,
 * rewritten whole through a synced temporary file and rename so a crash or a power cut leaves
 * the old or the new version, never half of one. Writes are serialized.
 */
export class JsonFileStore implements KeyValueStore {
  private data: Map<string, JsonValue> | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly dir: string) {}

  private get file(): string {
    return join(this.dir, 'store.json');
  }

  private load(): Map<string, JsonValue> {
    if (this.data) return this.data;
    let parsed: Record<string, JsonValue> = {};
    try {
      parsed = JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, JsonValue>;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new Error(`plugin store ${this.file} cannot be read (${(err as Error).message}); delete it to start empty`);
      }
    }
    this.data = new Map(Object.entries(parsed));
    return this.data;
  }

  private persist(): Promise<void> {
    const snapshot = JSON.stringify(Object.fromEntries(this.load()));
    this.writing = this.writing.catch(() => undefined).then(() => {
      mkdirSync(this.dir, { recursive: true, mode: 0o750 });
      replaceFileSync(this.file, snapshot, 0o640);
    });
    return this.writing;
  }

  async get<T extends JsonValue = JsonValue>(key: string): Promise<T | undefined> {
    const value = this.load().get(key);
    return value === undefined ? undefined : (structuredClone(value) as T);
  }

  async set(key: string, value: JsonValue): Promise<void> {
    // Round-trip through JSON so what is kept is exactly what a reload would give.
    this.load().set(key, JSON.parse(JSON.stringify(value)) as JsonValue);
    await this.persist();
  }

  async delete(key: string): Promise<boolean> {
    const had = this.load().delete(key);
    if (had) await this.persist();
    return had;
  }

  async keys(): Promise<string[]> {
    return [...this.load().keys()];
  }
}
