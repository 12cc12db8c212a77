import { appendFile, mkdir, readFile, open } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobEnergy } from './job-energy.js';

/**
 * Every job's energy and carbon, one JSON line each, under `<dataDir>/energy/ledger.jsonl`;
 * `totals()` sums them per UTC day and per source (measured / estimated) for
 * `earshot energy --since 24h`. Appending a line is atomic for lines this short
 * (O_APPEND, below PIPE_BUF), so a crash leaves at most a torn last line, which is skipped.
 */
export interface LedgerEntry {
  jobId: string;
  /** When the job finished (ISO 8601). */
  at: string;
  joules: number;
  kWh: number;
  source: JobEnergy['source'];
  method: string;
  gPerKWh: number;
  /** Where the intensity came from, e.g. "uk-grid (live)". */
  intensitySource: string;
  gCO2e: number;
  audioSeconds?: number;
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

export class EnergyLedger {
  private readonly file: string;

  constructor(private readonly dataDir: string) {
    this.file = join(dataDir, 'energy', 'ledger.jsonl');
  }

  async record(entry: LedgerEntry): Promise<void> {
    await mkdir(join(this.dataDir, 'energy'), { recursive: true });
    await appendFile(this.file, JSON.stringify(entry) + '\n');
  }

  /** Forces the ledger to disk (called on daemon stop). */
  async flush(): Promise<void> {
    try {
      const fh = await open(this.file, 'r');
      await fh.sync();
      await fh.close();
    } catch {
      // Nothing recorded yet.
    }
  }

  async entries(): Promise<LedgerEntry[]> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
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
    for (const e of await this.entries()) {
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

function add(b: Bucket, e: LedgerEntry): void {
  b.jobs += 1;
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
