import type { IntensityReading } from '../energy/carbon/types.js';

/**
 * A carbon feed that fails for a while (a forecast file run out, a publisher signing with a
 * rotated key, an API key revoked) leaves batch work scheduled on an old value or the static
 * default. `earshot carbon` says so when asked; fleets watch `earshot status --check`, so a feed
 * that has not been live for this long is a problem there. Shorter failures are the fallback
 * doing its job (one refused message, a fetch that times out once).
 */
export const CARBON_PROBLEM_AFTER_MS = 60 * 60_000;

/** Watches the readings the scheduler takes, for how long its carbon source has not been live. */
export class CarbonHealth {
  private notLiveSinceMs: number | null = null;
  private last: IntensityReading | null = null;

  constructor(
    private readonly afterMs = CARBON_PROBLEM_AFTER_MS,
    /** Monotonic: a step of the wall clock does not make an outage longer or shorter. */
    private readonly clock: () => number = () => performance.now(),
  ) {}

  observe(reading: IntensityReading): void {
    this.last = reading;
    if (reading.status === 'live') this.notLiveSinceMs = null;
    else this.notLiveSinceMs ??= this.clock();
  }

  problem(): string | undefined {
    const r = this.last;
    if (r === null || this.notLiveSinceMs === null) return undefined;
    const forMs = this.clock() - this.notLiveSinceMs;
    if (forMs < this.afterMs) return undefined;
    const minutes = Math.floor(forMs / 60_000);
    const using = r.status === 'static-default' ? `the static default ${r.gPerKWh} g/kWh` : `the last good value ${r.gPerKWh} g/kWh, of ${new Date(r.atMs).toISOString()}`;
    return `carbon intensity from ${r.source} not live for ${minutes} min${r.note ? ` (${r.note})` : ''}; batch work is scheduled on ${using} (see earshot carbon)`;
  }
}
