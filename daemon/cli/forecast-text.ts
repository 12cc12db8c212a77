import type { CarbonStatus } from '../energy/carbon/carbon-status.js';

/**
 * The forecast's values with when they apply: the first period's start and the step when the
 * periods are evenly spaced (as grid forecasts are), else each value with its start time.
 */
export function describeForecast(points: CarbonStatus['forecast']): string {
  const starts = points.map((p) => Date.parse(p.from));
  const step = starts.length > 1 ? starts[1]! - starts[0]! : 0;
  const even = step > 0 && starts.every((t, i) => i === 0 || t - starts[i - 1]! === step);
  const g = (p: CarbonStatus['forecast'][number]): string => String(Math.round(p.gPerKWh));
  if (even) return `from ${points[0]!.from}, every ${step / 60_000} min: ${points.map(g).join(' ')}`;
  return points.map((p) => `${p.from.slice(11, 16)}Z ${g(p)}`).join(', ');
}
