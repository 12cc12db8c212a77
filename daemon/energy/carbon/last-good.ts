import type { IntensityPoint, IntensityReading } from './types.js';
import { pointAt } from './types.js';
import { oneLine } from '../../one-line.js';

/**
 * The fallback rule every non-static source shares: use the newest good value while it is
 * fresh; when the source fails or goes quiet, keep using the last good value and say so;
 * with no good value ever, use the static default and say why.
 */
export class LastGood {
  private value: { gPerKWh: number; atMs: number } | undefined;
  private points: IntensityPoint[] = [];
  private lastError: string | undefined;

  constructor(
    private readonly source: string,
    private readonly staticDefault: number,
    /** A value older than this is stale (no update within it). */
    private readonly maxAgeMs: number,
  ) {}

  accept(update: { gPerKWh?: number; atMs: number; forecast?: IntensityPoint[] }): void {
    if (update.gPerKWh !== undefined) this.value = { gPerKWh: update.gPerKWh, atMs: update.atMs };
    if (update.forecast && update.forecast.length > 0) this.points = [...update.forecast].sort((a, b) => a.fromMs - b.fromMs);
    if (update.gPerKWh === undefined && update.forecast && update.forecast.length > 0 && !this.value) {
      const first = this.points[0];
      if (first) this.value = { gPerKWh: first.gPerKWh, atMs: update.atMs };
    }
    this.lastError = undefined;
  }

  /** When the value held was read, if there is one. */
  get heldAtMs(): number | undefined {
    return this.value?.atMs;
  }

  /** `reason` may quote what the source sent: it is kept as one line, for the note it becomes. */
  reject(reason: string): void {
    this.lastError = oneLine(reason);
  }

  get error(): string | undefined {
    return this.lastError;
  }

  forecast(): IntensityPoint[] {
    return this.points;
  }

  reading(nowMs: number): IntensityReading {
    const period = pointAt(this.points, nowMs);
    const v = this.value;
    const ageMs = v ? nowMs - v.atMs : Infinity;
    // A forecast period covering now is as good as a fresh value even if the fetch that brought it failed since.
    if (period && (!v || period.fromMs >= v.atMs || ageMs > this.maxAgeMs)) {
      const r: IntensityReading = { gPerKWh: period.gPerKWh, source: this.source, status: this.lastError ? 'last-good' : 'live', atMs: period.fromMs };
      if (this.lastError) r.note = `using the forecast already received: ${this.lastError}`;
      return r;
    }
    if (v && ageMs <= this.maxAgeMs) {
      const r: IntensityReading = { gPerKWh: v.gPerKWh, source: this.source, status: this.lastError ? 'last-good' : 'live', atMs: v.atMs };
      if (this.lastError) r.note = `last good value kept: ${this.lastError}`;
      return r;
    }
    if (v) {
      return { gPerKWh: v.gPerKWh, source: this.source, status: 'last-good', atMs: v.atMs, note: `stale: no update for ${Math.round(ageMs / 60000)} min${this.lastError ? ` (${this.lastError})` : ''}` };
    }
    return { gPerKWh: this.staticDefault, source: this.source, status: 'static-default', atMs: nowMs, note: this.lastError ?? 'no value received yet' };
  }
}
