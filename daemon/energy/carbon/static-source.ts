import type { CarbonSource, IntensityPoint, IntensityReading } from './types.js';

/** One fixed intensity (the site's yearly average, say); also every source's default. */
export class StaticCarbonSource implements CarbonSource {
  readonly name = 'static';

  constructor(private readonly gPerKWh: number) {}

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  current(nowMs: number): IntensityReading {
    return { gPerKWh: this.gPerKWh, source: this.name, status: 'live', atMs: nowMs };
  }

  forecast(nowMs: number, horizonMs: number): IntensityPoint[] {
    return [{ fromMs: nowMs, toMs: nowMs + horizonMs, gPerKWh: this.gPerKWh }];
  }
}
