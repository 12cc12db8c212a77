import type { IntensityPoint } from './types.js';
import { validIntensity } from './types.js';

/**
 * Forecast files a site drops on the box (or that a provider's response is saved as):
 * - CSV: a header with `from` and one of `gco2_per_kwh`, `gPerKWh`, `intensity`, `forecast`,
 *   `actual`, `value`; optional `to`; `#` comment lines. Periods without `to` end where the
 *   next one starts (the last one lasts as long as the one before it, else 30 min).
 * - JSON: `[{"from", "to"?, "gPerKWh"}]`, or the UK Carbon Intensity API shape
 *   `{"data":[{"from","to","intensity":{"forecast","actual"}}]}`.
 * Every error names the line or index and what to fix.
 */
const VALUE_COLUMNS = ['gco2_per_kwh', 'gperkwh', 'intensity', 'forecast', 'actual', 'value'];
const DEFAULT_PERIOD_MS = 30 * 60 * 1000;

export function parseForecastCsv(text: string, where = 'forecast CSV'): IntensityPoint[] {
  const lines = text.split(/\r?\n/).map((l, i) => ({ l: l.trim(), n: i + 1 })).filter(({ l }) => l && !l.startsWith('#'));
  const head = lines.shift();
  if (!head) throw new Error(`${where}: empty file; expected a header like "from,gco2_per_kwh"`);
  const cols = head.l.split(',').map((c) => c.trim().toLowerCase());
  const fromCol = cols.indexOf('from');
  const toCol = cols.indexOf('to');
  const valueCol = cols.findIndex((c) => VALUE_COLUMNS.includes(c));
  if (fromCol < 0 || valueCol < 0) throw new Error(`${where}:${head.n}: header must name a "from" column and one of ${VALUE_COLUMNS.join(', ')}; got "${head.l}"`);
  const rows: Array<{ fromMs: number; toMs?: number; gPerKWh: number }> = [];
  for (const { l, n } of lines) {
    const cells = l.split(',').map((c) => c.trim());
    const fromMs = parseTime(cells[fromCol]);
    if (fromMs === undefined) throw new Error(`${where}:${n}: "from" is not an ISO 8601 time: ${JSON.stringify(cells[fromCol])}`);
    const raw = cells[valueCol];
    const g = raw === undefined || raw === '' ? NaN : Number(raw);
    if (!validIntensity(g)) throw new Error(`${where}:${n}: intensity must be a number of gCO2e/kWh between 0 and 5000, got ${JSON.stringify(raw)}`);
    const row: { fromMs: number; toMs?: number; gPerKWh: number } = { fromMs, gPerKWh: g };
    if (toCol >= 0 && cells[toCol]) {
      const toMs = parseTime(cells[toCol]);
      if (toMs === undefined || toMs <= fromMs) throw new Error(`${where}:${n}: "to" must be a time after "from", got ${JSON.stringify(cells[toCol])}`);
      row.toMs = toMs;
    }
    rows.push(row);
  }
  return closePeriods(rows, where);
}

export function parseForecastJson(text: string, where = 'forecast JSON'): IntensityPoint[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new Error(`${where}: not valid JSON (${(err as Error).message})`);
  }
  const items = Array.isArray(doc) ? doc : Array.isArray((doc as { data?: unknown })?.data) ? (doc as { data: unknown[] }).data : undefined;
  if (!items) throw new Error(`${where}: expected an array of {from, to?, gPerKWh} or {"data": [...]} in the UK Carbon Intensity API format`);
  const rows = items.map((item, i) => {
    const o = (item ?? {}) as Record<string, unknown>;
    const fromMs = parseTime(o.from);
    if (fromMs === undefined) throw new Error(`${where}[${i}].from: not an ISO 8601 time: ${JSON.stringify(o.from)}`);
    const { field, value: g } = intensityField(o);
    if (field === undefined) throw new Error(`${where}[${i}]: no intensity: give "gPerKWh" (or the UK API's "intensity": {"forecast", "actual"})`);
    if (!validIntensity(g)) throw new Error(`${where}[${i}].${field}: intensity must be a number of gCO2e/kWh between 0 and 5000, got ${JSON.stringify(g) ?? String(g)}`);
    const row: { fromMs: number; toMs?: number; gPerKWh: number } = { fromMs, gPerKWh: g };
    const toMs = parseTime(o.to);
    if (toMs !== undefined) row.toMs = toMs;
    return row;
  });
  return closePeriods(rows, where);
}

/**
 * The field a forecast period gives its intensity in, as sent, so that an error names it
 * and the value it holds: `gPerKWh`, a bare `intensity`, or the UK API's
 * `intensity.actual` (null until measured) else `intensity.forecast`.
 */
function intensityField(o: Record<string, unknown>): { field: string | undefined; value: unknown } {
  if (o.gPerKWh !== undefined) return { field: 'gPerKWh', value: o.gPerKWh };
  if (o.intensity === undefined || o.intensity === null) return { field: undefined, value: undefined };
  if (typeof o.intensity !== 'object') return { field: 'intensity', value: o.intensity };
  const nested = o.intensity as Record<string, unknown>;
  if (nested.actual !== undefined && nested.actual !== null) return { field: 'intensity.actual', value: nested.actual };
  return { field: 'intensity.forecast', value: nested.forecast };
}

/** Accepts the API's minute-precision "2023-03-14T01:00Z" as well as full ISO times. */
export function parseTime(x: unknown): number | undefined {
  if (typeof x !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(x)) return undefined;
  const t = Date.parse(x);
  return Number.isFinite(t) ? t : undefined;
}

function closePeriods(rows: Array<{ fromMs: number; toMs?: number; gPerKWh: number }>, where: string): IntensityPoint[] {
  rows.sort((a, b) => a.fromMs - b.fromMs);
  const out: IntensityPoint[] = [];
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const next = rows[i + 1];
    const prev = out[out.length - 1];
    if (next && next.fromMs === r.fromMs) throw new Error(`${where}: two periods start at ${new Date(r.fromMs).toISOString()}; keep one`);
    if (prev && r.fromMs < prev.toMs) throw new Error(`${where}: period starting ${new Date(r.fromMs).toISOString()} overlaps the one before it`);
    const toMs = r.toMs ?? next?.fromMs ?? r.fromMs + (prev ? prev.toMs - prev.fromMs : DEFAULT_PERIOD_MS);
    out.push({ fromMs: r.fromMs, toMs, gPerKWh: r.gPerKWh });
  }
  return out;
}
