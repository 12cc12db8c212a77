import type { IntensityPoint } from '../energy/carbon/types.js';

/**
 * "Best window within the deadline", as in the Green Software Foundation's Carbon Aware SDK
 * (`/emissions/forecasts/current` with a windowSize): among start times from now until the
 * latest start that still meets the deadline, the one whose run has the lowest mean
 * forecast intensity. Candidate starts are now and every forecast period start in range.
 * https://github.com/Green-Software-Foundation/carbon-aware-sdk
 */
export interface Window {
  startMs: number;
  /** Mean gCO2e/kWh over [start, start + duration], time-weighted. */
  meanGPerKWh: number;
}

export function bestWindow(points: IntensityPoint[], nowMs: number, durationMs: number, latestStartMs: number): Window | undefined {
  if (points.length === 0) return undefined;
  const starts = new Set<number>([nowMs]);
  for (const p of points) if (p.fromMs > nowMs && p.fromMs <= latestStartMs) starts.add(p.fromMs);
  let best: Window | undefined;
  for (const start of [...starts].sort((a, b) => a - b)) {
    const mean = meanIntensity(points, start, start + Math.max(durationMs, 1));
    if (mean === undefined) continue;
    // Ties go to the earlier start: finishing sooner is worth something too.
    if (!best || mean < best.meanGPerKWh - 1e-9) best = { startMs: start, meanGPerKWh: mean };
  }
  return best;
}

/** Time-weighted mean over [from, to); undefined when the forecast does not cover it at all. */
export function meanIntensity(points: IntensityPoint[], fromMs: number, toMs: number): number | undefined {
  let covered = 0;
  let sum = 0;
  for (const p of points) {
    const a = Math.max(p.fromMs, fromMs);
    const b = Math.min(p.toMs, toMs);
    if (b > a) {
      covered += b - a;
      sum += (b - a) * p.gPerKWh;
    }
  }
  if (covered === 0) return undefined;
  // Past the forecast's end the last known value is assumed: partial coverage still ranks.
  const last = [...points].reverse().find((p) => p.fromMs < toMs);
  if (covered < toMs - fromMs && last) sum += (toMs - fromMs - covered) * last.gPerKWh;
  return sum / (toMs - fromMs);
}

/** The next period at or below `threshold` (for `earshot carbon`'s "next low window"). */
export function nextLowWindow(points: IntensityPoint[], nowMs: number, threshold: number): { fromMs: number; toMs: number; meanGPerKWh: number } | undefined {
  let start: number | undefined;
  let end = 0;
  let sum = 0;
  for (const p of points) {
    if (p.toMs <= nowMs) continue;
    if (p.gPerKWh <= threshold) {
      if (start === undefined) start = Math.max(p.fromMs, nowMs);
      else if (p.fromMs !== end) break;
      sum += (p.toMs - Math.max(p.fromMs, nowMs)) * p.gPerKWh;
      end = p.toMs;
    } else if (start !== undefined) break;
  }
  return start === undefined ? undefined : { fromMs: start, toMs: end, meanGPerKWh: sum / (end - start) };
}
