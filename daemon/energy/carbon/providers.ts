import type { IntensityPoint } from './types.js';
import { validIntensity } from './types.js';
import { parseTime } from './forecast-parsers.js';

/**
 * Public HTTP carbon-intensity providers: the requests to make and how to read their
 * responses. Parsing is strict — a payload that does not have the documented shape is an
 * error (the caller keeps its last good value), never a zero.
 */
export interface ProviderRequest {
  url: string;
  headers: Record<string, string>;
}

export interface ProviderUpdate {
  gPerKWh?: number;
  atMs: number;
  forecast: IntensityPoint[];
}

export interface CarbonProvider {
  readonly name: string;
  requests(nowMs: number): { current: ProviderRequest; forecast?: ProviderRequest };
  parseCurrent(body: unknown): { gPerKWh: number; atMs: number };
  parseForecast(body: unknown): IntensityPoint[];
}

/**
 * UK National Grid ESO Carbon Intensity API (no key): `GET /intensity` (current half hour)
 * and `GET /intensity/{from}/fw48h`; regional variants under `/regional/.../regionid/{id}`.
 * https://carbon-intensity.github.io/api-definitions/
 */
export class UkGridProvider implements CarbonProvider {
  readonly name = 'uk-grid';

  constructor(
    private readonly baseUrl = 'https://api.carbonintensity.org.uk',
    /** 1–17 for a DNO region, undefined for national. */
    private readonly regionId?: number,
  ) {}

  requests(nowMs: number): { current: ProviderRequest; forecast: ProviderRequest } {
    const from = new Date(nowMs).toISOString().slice(0, 16) + 'Z';
    const headers = { accept: 'application/json' };
    if (this.regionId === undefined) {
      return { current: { url: `${this.baseUrl}/intensity`, headers }, forecast: { url: `${this.baseUrl}/intensity/${from}/fw48h`, headers } };
    }
    return {
      current: { url: `${this.baseUrl}/regional/regionid/${this.regionId}`, headers },
      forecast: { url: `${this.baseUrl}/regional/intensity/${from}/fw48h/regionid/${this.regionId}`, headers },
    };
  }

  parseCurrent(body: unknown): { gPerKWh: number; atMs: number } {
    const periods = this.periods(body);
    const p = periods[periods.length - 1];
    if (!p) throw new Error('uk-grid: response has no periods in "data"');
    return { gPerKWh: p.gPerKWh, atMs: p.fromMs };
  }

  parseForecast(body: unknown): IntensityPoint[] {
    return this.periods(body);
  }

  /** National: {data:[period]}; regional: {data:[{regionid, data:[period]}]} or {data:{regionid, data:[period]}}. */
  private periods(body: unknown): IntensityPoint[] {
    const data = (body as { data?: unknown })?.data;
    let list: unknown[] | undefined;
    if (Array.isArray(data)) {
      const first = data[0] as { data?: unknown } | undefined;
      list = first && Array.isArray(first.data) ? first.data : data;
    } else if (data && typeof data === 'object' && Array.isArray((data as { data?: unknown }).data)) {
      list = (data as { data: unknown[] }).data;
    }
    if (!list) throw new Error('uk-grid: expected {"data": [...]} as documented at carbon-intensity.github.io/api-definitions');
    return list.map((item, i) => {
      const o = (item ?? {}) as { from?: unknown; to?: unknown; intensity?: { forecast?: unknown; actual?: unknown } };
      const fromMs = parseTime(o.from);
      const toMs = parseTime(o.to);
      // "actual" is null until the half hour has closed; the forecast is what exists then.
      const g = o.intensity?.actual ?? o.intensity?.forecast;
      if (fromMs === undefined || toMs === undefined || !validIntensity(g)) {
        throw new Error(`uk-grid: data[${i}] lacks from/to or a numeric intensity.forecast: ${JSON.stringify(item).slice(0, 120)}`);
      }
      return { fromMs, toMs, gPerKWh: g };
    });
  }
}

/**
 * Electricity Maps API v3 (token in the `auth-token` header):
 * `GET /v3/carbon-intensity/latest?zone=Z` → {zone, carbonIntensity, datetime, updatedAt, ...}
 * `GET /v3/carbon-intensity/forecast?zone=Z` → {zone, forecast:[{carbonIntensity, datetime}], updatedAt}
 * https://docs.electricitymaps.com/
 */
export class ElectricityMapsProvider implements CarbonProvider {
  readonly name = 'electricity-maps';

  constructor(
    private readonly zone: string,
    private readonly token: string,
    private readonly baseUrl = 'https://api.electricitymap.org',
  ) {}

  requests(): { current: ProviderRequest; forecast: ProviderRequest } {
    const headers = { 'auth-token': this.token, accept: 'application/json' };
    const zone = encodeURIComponent(this.zone);
    return {
      current: { url: `${this.baseUrl}/v3/carbon-intensity/latest?zone=${zone}`, headers },
      forecast: { url: `${this.baseUrl}/v3/carbon-intensity/forecast?zone=${zone}`, headers },
    };
  }

  parseCurrent(body: unknown): { gPerKWh: number; atMs: number } {
    const o = (body ?? {}) as { carbonIntensity?: unknown; datetime?: unknown; zone?: unknown };
    const atMs = parseTime(o.datetime);
    if (!validIntensity(o.carbonIntensity) || atMs === undefined) {
      throw new Error(`electricity-maps: expected {carbonIntensity: number, datetime: ISO time}, got ${JSON.stringify(body).slice(0, 120)}`);
    }
    return { gPerKWh: o.carbonIntensity, atMs };
  }

  parseForecast(body: unknown): IntensityPoint[] {
    const list = (body as { forecast?: unknown })?.forecast;
    if (!Array.isArray(list)) throw new Error('electricity-maps: expected {"forecast": [{carbonIntensity, datetime}]}');
    const rows = list.map((item, i) => {
      const o = (item ?? {}) as { carbonIntensity?: unknown; datetime?: unknown };
      const fromMs = parseTime(o.datetime);
      if (!validIntensity(o.carbonIntensity) || fromMs === undefined) throw new Error(`electricity-maps: forecast[${i}] lacks carbonIntensity/datetime`);
      return { fromMs, gPerKWh: o.carbonIntensity };
    });
    rows.sort((a, b) => a.fromMs - b.fromMs);
    // Points are period starts; each lasts until the next (hourly by default).
    return rows.map((r, i) => ({ fromMs: r.fromMs, toMs: rows[i + 1]?.fromMs ?? r.fromMs + 3600e3, gPerKWh: r.gPerKWh }));
  }
}
