import { readFile, stat } from 'node:fs/promises';
import type { Logger } from '../../log/logger.js';
import type { CarbonSource, IntensityPoint, IntensityReading } from './types.js';
import { clipForecast } from './types.js';
import { LastGood } from './last-good.js';
import { parseForecastCsv, parseForecastJson } from './forecast-parsers.js';

export interface FileSourceOptions {
  path: string;
  staticDefault: number;
  refreshMs: number;
  logger: Logger;
}

/**
 * A CSV or JSON forecast file (see forecast-parsers.ts), re-read when its mtime changes. A
 * file that goes bad keeps the last good forecast in use and says so.
 */
export class FileCarbonSource implements CarbonSource {
  readonly name = 'file';
  private readonly state: LastGood;
  private timer: NodeJS.Timeout | undefined;
  private mtimeMs = -1;

  constructor(private readonly options: FileSourceOptions) {
    // A file's values are valid for their periods; "stale" only means no period covers now.
    this.state = new LastGood('file', options.staticDefault, 0);
  }

  async start(): Promise<void> {
    await this.reload();
    this.timer = setInterval(() => void this.reload(), this.options.refreshMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  async reload(): Promise<void> {
    const { path } = this.options;
    try {
      const s = await stat(path);
      if (s.mtimeMs === this.mtimeMs) return;
      const text = await readFile(path, 'utf8');
      const points = /\.json$/i.test(path) || text.trimStart().startsWith('[') || text.trimStart().startsWith('{') ? parseForecastJson(text, path) : parseForecastCsv(text, path);
      this.mtimeMs = s.mtimeMs;
      this.state.accept({ atMs: Date.now(), forecast: points });
    } catch (err) {
      const reason = (err as Error).message;
      if (reason !== this.state.error) this.options.logger.warn('carbon forecast file unusable, keeping the last good forecast', { path, reason });
      this.state.reject(reason);
    }
  }

  current(nowMs: number): IntensityReading {
    const r = this.state.reading(nowMs);
    // Outside every period of the file the static default applies, saying so.
    if (r.status !== 'static-default' && !this.state.forecast().some((p) => p.fromMs <= nowMs && nowMs < p.toMs)) {
      return { gPerKWh: this.options.staticDefault, source: this.name, status: 'static-default', atMs: nowMs, note: `${this.options.path} has no period covering ${new Date(nowMs).toISOString()}` };
    }
    return r;
  }

  forecast(nowMs: number, horizonMs: number): IntensityPoint[] {
    return clipForecast(this.state.forecast(), nowMs, horizonMs);
  }
}
