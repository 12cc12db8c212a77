import { mkdir, readdir, unlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir, writeDurable } from '../scheduler/durable-file.js';

/**
 * `<dataDir>/fleet/inbox`: audio of fleet jobs this box has taken, one file per attempt,
 * written durably before the job enters the local queue (the queue keeps only the path).
 */
export class FleetInbox {
  constructor(private readonly dir: string) {}

  /**
   * Empties the inbox; returns the paths of the files it held. Called before the job queue
   * opens: a fleet job this box held when it died has already been offered again by its
   * owner (it saw this box's last will), so its leftover local copy must not run a second
   * time (see FleetBridge.notToRunAtStart).
   */
  async clear(): Promise<string[]> {
    await mkdir(this.dir, { recursive: true, mode: 0o750 });
    const removed: string[] = [];
    for (const f of await readdir(this.dir)) {
      await unlink(join(this.dir, f)).catch(() => undefined);
      removed.push(join(this.dir, f));
    }
    if (removed.length > 0) await fsyncDir(this.dir);
    return removed;
  }

  /**
   * Writes the audio (temp file, fsync, rename, fsync dir) and returns its path; dated
   * `modifiedMs` (the offering box's file time), so it is transcribed as recorded then.
   */
  async write(name: string, audio: Buffer, modifiedMs?: number): Promise<string> {
    const path = join(this.dir, name);
    // The temp file lives in the inbox too: clear() removes any a crash left.
    await writeDurable(this.dir, path, audio);
    if (modifiedMs !== undefined) await utimes(path, new Date(), new Date(modifiedMs));
    return path;
  }

  async remove(path: string): Promise<void> {
    await unlink(path).catch(() => undefined);
  }
}
