import type { IntensityPoint } from '../energy/carbon/types.js';

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
