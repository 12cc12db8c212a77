import type { CarbonSource, IntensityPoint, IntensityReading } from './types.js';
import { nextLowWindow } from '../../scheduler/low-window.js';

/** What `earshot carbon` shows: the intensity now, its source, the forecast and the next low window. */
export interface CarbonStatus {
  current: IntensityReading & { at: string };
  forecast: Array<{ from: string; to: string; gPerKWh: number }>;
  /** The next run of periods in the cleanest quarter of the forecast. */
  nextLowWindow: { from: string; to: string; meanGPerKWh: number; thresholdGPerKWh: number } | null;
}

export function carbonStatus(source: CarbonSource, nowMs: number, horizonMs = 24 * 3600e3): CarbonStatus {
  const current = source.current(nowMs);
  const points = source.forecast(nowMs, horizonMs);
  const iso = (t: number): string => new Date(t).toISOString();
  let low: CarbonStatus['nextLowWindow'] = null;
  if (points.length > 1) {
    const threshold = quartile(points);
    const w = nextLowWindow(points, nowMs, threshold);
    if (w) low = { from: iso(w.fromMs), to: iso(w.toMs), meanGPerKWh: round(w.meanGPerKWh), thresholdGPerKWh: round(threshold) };
  }
  return {
    current: { ...current, at: iso(current.atMs) },
    forecast: points.map((p: IntensityPoint) => ({ from: iso(p.fromMs), to: iso(p.toMs), gPerKWh: round(p.gPerKWh) })),
    nextLowWindow: low,
  };
}

function quartile(points: IntensityPoint[]): number {
  const sorted = points.map((p) => p.gPerKWh).sort((a, b) => a - b);
  return sorted[Math.max(0, Math.floor(sorted.length / 4) - 1)] ?? sorted[0] ?? 0;
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
