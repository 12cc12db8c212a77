/**
 * Grid carbon intensity, in gCO2e per kWh, from one of several sources. Every reading says
 * where it came from and whether it is live, the last good value of a source that is now
 * failing or stale, or the static default — so no figure hides a fallback.
 */
export interface IntensityPoint {
  fromMs: number;
  toMs: number;
  gPerKWh: number;
}

export type IntensityStatus = 'live' | 'last-good' | 'static-default';

export interface IntensityReading {
  gPerKWh: number;
  /** The configured source's name: static, schedule, file, mqtt, uk-grid, electricity-maps. */
  source: string;
  status: IntensityStatus;
  /** When the value was obtained (or the start of the period it is for). */
  atMs: number;
  /** Why the value is not live (timeout, stale, bad payload ...). */
  note?: string;
}

export interface CarbonSource {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  current(nowMs: number): IntensityReading;
  /** Known future periods (ascending, non-overlapping) up to `horizonMs` from now. */
  forecast(nowMs: number, horizonMs: number): IntensityPoint[];
}

/** The period covering `t`, if any. */
export function pointAt(points: IntensityPoint[], t: number): IntensityPoint | undefined {
  return points.find((p) => p.fromMs <= t && t < p.toMs);
}

export function clipForecast(points: IntensityPoint[], nowMs: number, horizonMs: number): IntensityPoint[] {
  return points.filter((p) => p.toMs > nowMs && p.fromMs < nowMs + horizonMs);
}

/** A number that can be a carbon intensity: finite, ≥ 0 and below any real grid's worst (coal ≈ 1,100). */
export function validIntensity(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x) && x >= 0 && x < 5000;
}
