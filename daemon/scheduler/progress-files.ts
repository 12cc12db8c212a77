import { mkdir, open, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log/logger.js';
import { isTransient } from '../shortage/transient-errors.js';
import { validateJobId } from './job-id.js';
import { parseJsonLines } from './json-lines.js';
import { writeDurable } from './durable-file.js';

/**
 * `<queue>/progress/<id>.jsonl`: what running jobs have finished so far, one record a line,
 * kept for a run after a stop or crash to resume from. The queue owns it (JobQueue's
 * progress methods); what the records mean is the pipeline's.
 */
export class ProgressFiles {
  /** Jobs with a progress file, so listing jobs reads only theirs. */
  private readonly saved = new Set<string>();

  constructor(
    private readonly dir: string,
    private readonly tmpDir: string,
    private readonly logger: Logger,
  ) {}

  /** Makes the folder; keeps the files of jobs `pending` knows, deletes the rest (finished just before a crash). */
  async open(pending: (id: string) => boolean): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o750 });
    for (const f of await readdir(this.dir)) {
      const id = f.replace(/\.jsonl$/, '');
      if (f !== id && pending(id)) this.saved.add(id);
      else await unlink(join(this.dir, f)).catch(() => undefined);
    }
  }

  has(id: string): boolean {
    return this.saved.has(id);
  }

  /**
   * The records saved, in order, or undefined when none were. A last line cut short (a power
   * cut during an append) ends them; a file that cannot be read gives no records, so the job
   * starts over as after damage (which costs time and loses nothing).
   */
  async read(id: string): Promise<unknown[] | undefined> {
    let text: string;
    try {
      text = await readFile(this.path(id), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      // Out of descriptors or memory for a moment: the file is fine, and starting over would
      // publish the whole job again under new ids. The scheduler postpones the job instead.
      if (isTransient(err)) throw err;
      this.logger.warn('unreadable job progress ignored; the job starts from the beginning', { id, err });
      return [];
    }
    return parseJsonLines(text);
  }

  /**
   * `replace` writes the records in place of what was saved (atomically, the folder synced
   * too: a run's first save, or a new generation's header, must not come undone); `append`
   * adds them after it, synced.
   */
  async save(id: string, records: unknown[], how: 'replace' | 'append'): Promise<void> {
    const lines = records.map((r) => JSON.stringify(r) + '\n').join('');
    this.saved.add(id);
    if (how === 'replace') return writeDurable(this.tmpDir, this.path(id), lines);
    const fh = await open(this.path(id), 'a', 0o640);
    try {
      await fh.writeFile(lines);
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  /** A finished job's progress is of no more use; a leftover is swept at the next open. */
  async drop(id: string): Promise<void> {
    if (!this.saved.delete(id)) return;
    await unlink(this.path(id)).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.logger.debug('could not delete a finished job\'s progress', { id, err });
    });
  }

  private path(id: string): string {
    return join(this.dir, `${validateJobId(id)}.jsonl`);
  }
}
