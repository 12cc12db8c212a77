import type { Logger } from '../../log/logger.js';
import { sweepOldFiles, type SweepOutcome } from './sweep-old-files.js';
import { SerialQueue } from '../../serial-queue.js';

const DAY_MS = 86_400_000;

/** Swept at start, then this often: hourly keeps a folder within an hour of its limit. */
export const SWEEP_EVERY_MS = 3600_000;

/** One folder of a spool source that old files are deleted from. */
export interface RetainedFolder {
  /** As shown in the log and status: `done/`, `failed/`. */
  label: string;
  dir: string;
  keepDays: number;
  companionSuffix?: string;
}

export interface SpoolRetentionOptions {
  sourceId: string;
  folders: RetainedFolder[];
  logger: Logger;
  /**
   * Why the folders may not be touched now (replaced by a link, made by someone else), or
   * undefined: checked before each sweep, which is skipped while there is a reason.
   */
  folderProblem: () => Promise<string | undefined>;
  everyMs?: number;
  /** The wall clock that ages files (ms since the epoch). */
  now?: () => number;
}

interface LastSweep {
  at: number;
  outcomes: Array<{ folder: RetainedFolder; outcome?: SweepOutcome; error?: string }>;
  skipped?: string;
}

/**
 * Deletes a spool source's recordings from done/ and failed/ once they have been there the
 * configured number of days: at start, then hourly, one sweep at a time, in the background
 * (a first sweep of 700 GB of recordings must not hold up the start). Each sweep that
 * deleted or failed to delete something says so in one log line; `detail()` says what the
 * last one did, for `earshot status`.
 */
export class SpoolRetention {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  /** Set by stop(): a sweep in progress ends at its next file. */
  private stopped = false;
  private last: LastSweep | undefined;
  /** Sweeps run one after another, never two over the same folder at once. */
  private readonly sweeps = new SerialQueue();

  constructor(private readonly options: SpoolRetentionOptions) {}

  start(): void {
    this.stopped = false;
    if (this.timer) clearTimeout(this.timer);
    this.schedule(0);
  }

  /** Ends a sweep in progress at its next file and starts no other. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One sweep of every folder, after any in progress (the timer's own, or a test's). */
  sweep(): Promise<void> {
    return this.sweeps.run(() => this.sweepOnce());
  }

  private async sweepOnce(): Promise<void> {
    const { logger, folderProblem, sourceId } = this.options;
    const now = (this.options.now ?? Date.now)();
    const problem = await folderProblem().catch((err: unknown) => (err instanceof Error ? err.message : String(err)));
    if (problem) {
      // The watcher says what is wrong with the folder, once a minute; this is why nothing went.
      this.last = { at: now, outcomes: [], skipped: problem };
      logger.debug('spool retention: no sweep while the folders are not the daemon\'s own', { source: sourceId, problem });
      return;
    }
    const outcomes: LastSweep['outcomes'] = [];
    for (const folder of this.options.folders) {
      if (this.stopped) break;
      try {
        const outcome = await sweepOldFiles(folder.dir, { cutoffMs: now - folder.keepDays * DAY_MS, companionSuffix: folder.companionSuffix, stopped: () => this.stopped });
        outcomes.push({ folder, outcome });
      } catch (err) {
        outcomes.push({ folder, error: err instanceof Error ? err.message : String(err) });
      }
    }
    this.last = { at: now, outcomes };
    this.report(outcomes);
  }

  /** How long each folder keeps recordings and what the last sweep did, for `earshot status`. */
  detail(): string {
    const kept = this.options.folders.map((f) => `${f.label} kept ${f.keepDays} d`).join(', ');
    if (!this.last) return kept;
    const ago = `${formatAge((this.options.now ?? Date.now)() - this.last.at)} ago`;
    if (this.last.skipped) return `${kept}; last sweep ${ago} skipped: folders not the daemon's own`;
    return `${kept}; last sweep ${ago}: ${this.last.outcomes.map(describe).join(', ')}`;
  }

  private report(outcomes: LastSweep['outcomes']): void {
    const { logger, sourceId } = this.options;
    const fields = {
      source: sourceId,
      deleted: sum(outcomes, (o) => o.outcome?.deleted ?? 0),
      bytes: sum(outcomes, (o) => o.outcome?.bytes ?? 0),
      ...Object.fromEntries(outcomes.map((o) => [o.folder.label.replace('/', ''), o.error ? { error: o.error } : o.outcome])),
    };
    const message = `spool retention: ${outcomes.map(describe).join(', ')}`;
    const trouble = outcomes.some((o) => o.error || o.outcome!.failed > 0 || o.outcome!.unsetClock > 0);
    if (trouble) logger.warn(message, fields);
    else if (fields.deleted > 0) logger.info(message, fields);
    else logger.debug(message, fields);
  }

  private schedule(delay: number): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.sweep()
        .catch((err: unknown) => this.options.logger.error('spool retention: sweep failed', { source: this.options.sourceId, error: err instanceof Error ? err.message : String(err) }))
        .finally(() => {
          this.running = null;
          if (!this.stopped) this.schedule(this.options.everyMs ?? SWEEP_EVERY_MS);
        });
    }, delay);
  }
}

/** `done/ 12 deleted (45 MB)`, with what could not be done. */
function describe({ folder, outcome, error }: LastSweep['outcomes'][number]): string {
  if (error || !outcome) return `${folder.label} not swept (${error})`;
  const parts = [`${folder.label} ${outcome.deleted} deleted (${formatBytes(outcome.bytes)})`];
  if (outcome.failed > 0) parts.push(`${outcome.failed} could not be deleted (${outcome.firstError})`);
  if (outcome.unsetClock > 0) parts.push(`${outcome.unsetClock} kept, dated before 2020 (moved while the clock was not set; delete them by hand)`);
  return parts.join('; ');
}

function sum<T>(items: T[], of: (item: T) => number): number {
  return items.reduce((total, item) => total + of(item), 0);
}

function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${bytes} B`;
}

function formatAge(ms: number): string {
  const min = Math.max(0, Math.round(ms / 60_000));
  return min < 60 ? `${min} min` : `${Math.floor(min / 60)} h ${min % 60} min`;
}
