import type { Logger } from '../../log/logger.js';
import type { CarbonSource, IntensityPoint, IntensityReading } from './types.js';
import { clipForecast } from './types.js';
import { LastGood } from './last-good.js';
import type { CarbonProvider, ProviderRequest } from './providers.js';

export interface HttpSourceOptions {
  provider: CarbonProvider;
  staticDefault: number;
  refreshMs: number;
  timeoutMs: number;
  /** A value older than this (no successful refresh) is stale. */
  maxAgeMs: number;
  logger: Logger;
  fetch?: typeof fetch;
  clock?: () => number;
}

/**
 * Polls an HTTP provider. Timeouts, HTTP errors and payloads of the wrong shape keep the last
 * good value (then the static default) in use; every reading says which, and why.
 */
export class HttpCarbonSource implements CarbonSource {
  readonly name: string;
  private readonly state: LastGood;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;

  constructor(private readonly options: HttpSourceOptions) {
    this.name = options.provider.name;
    this.state = new LastGood(this.name, options.staticDefault, options.maxAgeMs);
  }

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.options.refreshMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  /** One poll; never throws (failures are recorded and reported by `current`). */
  refresh(): Promise<void> {
    this.inFlight ??= this.poll().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async poll(): Promise<void> {
    const now = (this.options.clock ?? Date.now)();
    const { provider } = this.options;
    const req = provider.requests(now);
    try {
      const current = provider.parseCurrent(await this.get(req.current));
      let forecast: IntensityPoint[] = [];
      if (req.forecast) {
        try {
          forecast = provider.parseForecast(await this.get(req.forecast));
        } catch (err) {
          // A current value without a forecast is still worth having; batch work then runs now.
          this.options.logger.warn('carbon forecast unavailable', { provider: provider.name, reason: (err as Error).message });
        }
      }
      this.state.accept({ gPerKWh: current.gPerKWh, atMs: now, forecast });
    } catch (err) {
      const reason = (err as Error).message;
      if (reason !== this.state.error) this.options.logger.warn('carbon intensity refresh failed, keeping the last good value', { provider: provider.name, reason });
      this.state.reject(reason);
    }
  }

  private async get(req: ProviderRequest): Promise<unknown> {
    const f = this.options.fetch ?? fetch;
    let res: Response;
    try {
      res = await f(req.url, { headers: req.headers, signal: AbortSignal.timeout(this.options.timeoutMs) });
    } catch (err) {
      const e = err as Error;
      const what = e.name === 'TimeoutError' || e.name === 'AbortError' ? `timed out after ${this.options.timeoutMs} ms` : e.message;
      throw new Error(`${this.name}: GET ${redact(req.url)} ${what}`);
    }
    const text = await res.text();
    if (!res.ok) throw new Error(`${this.name}: GET ${redact(req.url)} answered HTTP ${res.status}${res.status === 401 || res.status === 403 ? ' (check scheduler.carbon.http.token)' : ''}`);
    try {
      return JSON.parse(text);
    } catch {
      throw new Error(`${this.name}: GET ${redact(req.url)} returned a body that is not JSON: ${JSON.stringify(text.slice(0, 60))}`);
    }
  }

  current(nowMs: number): IntensityReading {
    return this.state.reading(nowMs);
  }

  forecast(nowMs: number, horizonMs: number): IntensityPoint[] {
    return clipForecast(this.state.forecast(), nowMs, horizonMs);
  }
}

function redact(url: string): string {
  return url.replace(/(token|key)=[^&]+/gi, '$1=***');
}
