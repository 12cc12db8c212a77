import { mkdir, readFile, readdir, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobEnergy } from './job-energy.js';
import type { Logger } from '../log/logger.js';
import { checkFormat, withFormat } from '../state-format.js';
import { appendSyncedFile, fsyncDir, writeSyncedFile } from '../scheduler/durable-file.js';

/**
 * Every job's energy and carbon, one JSON line each, in a file per UTC month under
 * `<dataDir>/energy/ledger-YYYY-MM.jsonl` (a busy box records ~100,000 jobs a day: one file
 * would grow by a gigabyte a month and be read whole by every `earshot energy`). Months
 * older than LEDGER_MONTHS are deleted. `totals()` reads only the months it needs and sums
 * per UTC day and per source (measured / estimated). Appending a line is atomic for lines
 * this short (O_APPEND, below PIPE_BUF), so a crash leaves at most a torn last line, which
 * is skipped. Each line is fsynced before record() resolves: the job's done record is
 * already on disk by then, and a power cut would otherwise take the last seconds of entries
 * with it, their energy never counted. A power cut can also leave the last line cut short or
 * a tail of zeros (ext4, XFS): the first entry this process appends to a file starts on a line
 * of its own after such a tail, or both would be one unreadable line and a good entry lost.
 * A `ledger.jsonl` from before the monthly files is still read.
 *
 * A month file begins with a line holding its format (`{"format":1}`), written when the file
 * is made; releases before formats skip it, as it has no joules, and their files, without it,
 * are format 1. A later format must go in a file of its own, never appended to one in another.
 */
export interface LedgerEntry {
  jobId: string;
  /** When the job finished, or the interrupted run ended (ISO 8601). */
  at: string;
  joules: number;
  kWh: number;
  /**
   * `measured` (a power meter) or `estimated` (the CPU power model). A transcript payload
   * (schemas/transcript.schema.json) carries this as `energy.method`.
   */
  source: JobEnergy['source'];
  /**
   * The meter's kind (`rapl`, `nvml`, `ina3221`, `battery`, `powermetrics`), or
   * `cpu-model:<family>` when estimated. A transcript payload carries this as `energy.source`.
   */
  method: string;
  gPerKWh: number;
  /** Where the intensity came from, e.g. "uk-grid (live)". */
  intensitySource: string;
  gCO2e: number;
  audioSeconds?: number;
  /**
   * A run interrupted before its job finished (a stop, the thermal hard limit): its energy
   * was spent and counts in the totals, but it is not a job; the job's own entry, when it
   * finishes, covers only its last run.
   */
  interrupted?: true;
}

export interface EnergyTotals {
  since: string;
  until: string;
  total: Bucket;
  bySource: Record<'measured' | 'estimated', Bucket>;
  byDay: Array<{ day: string } & Bucket & { bySource: Record<'measured' | 'estimated', Bucket> }>;
}

interface Bucket {
  jobs: number;
  joules: number;
  kWh: number;
  gCO2e: number;
}

const empty = (): Bucket => ({ jobs: 0, joules: 0, kWh: 0, gCO2e: 0 });

/** Months of ledger kept: a year back, and the current month. */
export const LEDGER_MONTHS = 13;
const LEGACY_FILE = 'ledger.jsonl';
const MONTH_FILE = /^ledger-(\d{4}-\d{2})\.jsonl$/;

/** The oldest month (YYYY-MM) kept while `month` is the newest: the LEDGER_MONTHS up to it. */
function oldestKeptMonth(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m - LEDGER_MONTHS, 1)).toISOString().slice(0, 7);
}

export class EnergyLedger {
  private readonly dir: string;
  private lastFile: string | undefined;
  private prunedFor: string | undefined;
  /** Month files this process has made sure exist, with their format line if it made them. */
  private readonly begun = new Set<string>();

  constructor(
    private readonly dataDir: string,
    /** The daemon's, to say when a file's last line was cut short; the CLI only reads. */
    private readonly logger?: Logger,
  ) {
    this.dir = join(dataDir, 'energy');
  }

  async record(entry: LedgerEntry): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o750 });
    const month = monthOf(entry.at);
    this.lastFile = join(this.dir, `ledger-${month}.jsonl`);
    if (!this.begun.has(this.lastFile)) {
      await this.begin(this.lastFile);
      this.begun.add(this.lastFile);
    }
    await appendSyncedFile(this.lastFile, JSON.stringify(entry) + '\n', 0o640);
    // Once per month seen: the months that fell out of the window go.
    if (this.prunedFor !== month) {
      this.prunedFor = month;
      await this.prune(month);
    }
  }

  /**
   * Makes a month file with its format line ('wx': one an older release began keeps its
   * format 1), its name synced into the folder; or, for one already there, ends a last line
   * that a power cut or crash left unfinished (cut short, or zeros), which is then skipped.
   */
  private async begin(file: string): Promise<void> {
    try {
      await writeSyncedFile(file, JSON.stringify(withFormat({})) + '\n', 0o640);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (await endsUnfinished(file)) {
        this.logger?.warn('energy ledger: its last line was cut short (a power cut or crash while it was written) and is skipped; new entries go on the next line', { file });
        await appendSyncedFile(file, '\n', 0o640);
      }
      return;
    }
    await fsyncDir(this.dir);
  }

  /** Deletes month files older than LEDGER_MONTHS before `month` (YYYY-MM). */
  async prune(month: string): Promise<void> {
    const oldestKept = oldestKeptMonth(month);
    for (const { file, month: m } of await this.monthFiles()) {
      if (m < oldestKept) await unlink(join(this.dir, file)).catch(() => undefined);
    }
  }

  /** The month files on disk (ledger-YYYY-MM.jsonl), oldest first. */
  private async monthFiles(): Promise<Array<{ file: string; month: string }>> {
    return (await readdir(this.dir).catch(() => [] as string[]))
      .flatMap((file) => {
        const month = MONTH_FILE.exec(file)?.[1];
        return month === undefined ? [] : [{ file, month }];
      })
      .sort((a, b) => a.month.localeCompare(b.month));
  }

  /**
   * Throws NewerFormatError for a ledger file a later release wrote, reading only each file's
   * first line: the daemon would append to it, and `earshot energy` would misread it.
   */
  async checkFormats(): Promise<void> {
    for (const f of await this.files('0000-00', '9999-99')) {
      let head = '';
      try {
        const fh = await open(join(this.dir, f), 'r');
        try {
          const { buffer, bytesRead } = await fh.read(Buffer.alloc(4096), 0, 4096, 0);
          head = buffer.subarray(0, bytesRead).toString('utf8');
        } finally {
          await fh.close();
        }
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      checkFirstLine(head, join(this.dir, f));
    }
  }

  /**
   * The first month (YYYY-MM) whose figures the ledger may still hold: LEDGER_MONTHS back from
   * the newest month it has, as prune() left it; undefined while it has none. Older months'
   * figures were deleted, so a total for them would be a false zero.
   */
  async keptFrom(): Promise<string | undefined> {
    const newest = (await this.monthFiles()).at(-1)?.month;
    return newest === undefined ? undefined : oldestKeptMonth(newest);
  }

  /** The ledger files of the months from..to (YYYY-MM), with the legacy file, oldest first. */
  private async files(from: string, to: string): Promise<string[]> {
    return (await readdir(this.dir).catch(() => [] as string[]))
      .filter((f) => {
        const month = MONTH_FILE.exec(f)?.[1];
        return f === LEGACY_FILE || (month !== undefined && month >= from && month <= to);
      })
      .sort();
  }

  /** The entries of the months that overlap [sinceMs, untilMs] (all months without bounds). */
  async entries(sinceMs = -Infinity, untilMs = Infinity): Promise<LedgerEntry[]> {
    const from = Number.isFinite(sinceMs) ? new Date(sinceMs).toISOString().slice(0, 7) : '0000-00';
    const to = Number.isFinite(untilMs) ? new Date(untilMs).toISOString().slice(0, 7) : '9999-99';
    let text = '';
    for (const f of await this.files(from, to)) {
      try {
        const file = await readFile(join(this.dir, f), 'utf8');
        checkFirstLine(file, join(this.dir, f));
        text += file + '\n';
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    const out: LedgerEntry[] = [];
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        const e = JSON.parse(line) as LedgerEntry;
        if (typeof e.joules === 'number' && typeof e.at === 'string') out.push(e);
      } catch {
        // A torn last line from a crash mid-append; the job will be re-billed when it re-runs.
      }
    }
    return out;
  }

  async totals(sinceMs: number, untilMs = Date.now()): Promise<EnergyTotals> {
    const days = new Map<string, Bucket & { bySource: Record<'measured' | 'estimated', Bucket> }>();
    const total = empty();
    const bySource = { measured: empty(), estimated: empty() };
    for (const e of await this.entries(sinceMs, untilMs)) {
      const t = Date.parse(e.at);
      if (!(t >= sinceMs && t <= untilMs)) continue;
      const day = e.at.slice(0, 10);
      const d = days.get(day) ?? { ...empty(), bySource: { measured: empty(), estimated: empty() } };
      for (const b of [total, bySource[e.source], d, d.bySource[e.source]]) add(b, e);
      days.set(day, d);
    }
    return {
      since: new Date(sinceMs).toISOString(),
      until: new Date(untilMs).toISOString(),
      total,
      bySource,
      byDay: [...days.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([day, b]) => ({ day, ...b })),
    };
  }
}

/** Whether `file` is not empty and does not end with a newline: its last line is unfinished. */
async function endsUnfinished(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    if (size === 0) return false;
    const { buffer } = await fh.read(Buffer.alloc(1), 0, 1, size - 1);
    return buffer[0] !== 0x0a;
  } finally {
    await fh.close();
  }
}

/** Checks the format line a ledger file begins with; a torn or an entry line is format 1. */
function checkFirstLine(text: string, file: string): void {
  const end = text.indexOf('\n');
  let first: unknown;
  try {
    first = JSON.parse(end === -1 ? text : text.slice(0, end));
  } catch {
    return;
  }
  checkFormat(first, file);
}

/** The UTC month (YYYY-MM) of an ISO time; the current one for a time that does not parse. */
function monthOf(at: string): string {
  const t = Date.parse(at);
  return new Date(Number.isFinite(t) ? t : Date.now()).toISOString().slice(0, 7);
}

function add(b: Bucket, e: LedgerEntry): void {
  if (!e.interrupted) b.jobs += 1;
  b.joules += e.joules;
  b.kWh += e.kWh;
  b.gCO2e += e.gCO2e;
}

/** "24h", "7d", "90m", "3600s" → milliseconds; throws with the accepted forms otherwise. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h|d|w)$/.exec(text.trim());
  if (!m) throw new Error(`invalid duration ${JSON.stringify(text)}: use a number with s, m, h, d or w, e.g. 24h or 7d`);
  const unit = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3 }[m[2] as 's' | 'm' | 'h' | 'd' | 'w'];
  return Number(m[1]) * unit;
}
