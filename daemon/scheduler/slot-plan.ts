import type { IntensityPoint } from '../energy/carbon/types.js';

/**
 * A capacity plan over the forecast's periods, so that batch jobs deferred to the same clean
 * window do not all assume they have it to themselves: each period holds `concurrency`
 * job-lanes; a job runs in one lane at real speed, so it uses at most the period's length in
 * each period it spans. Jobs are placed one by one (most urgent first): each takes the start
 * whose run — through what earlier jobs left free — has the lowest mean intensity and still
 * finishes by its deadline. Beyond the forecast the last known value is assumed.
 */
interface Slot {
  fromMs: number;
  toMs: number;
  gPerKWh: number;
  /** Lane-milliseconds still free. */
  freeMs: number;
  /** Past the forecast: assumed, never chosen as a start. */
  assumed?: boolean;
}

export interface Trial {
  startMs: number;
  finishMs: number;
  /** Time-weighted mean intensity of the run. */
  meanGPerKWh: number;
}

const DEFAULT_SLOT_MS = 30 * 60 * 1000;
const MAX_EXTENSION_MS = 48 * 3600 * 1000;

export class SlotPlan {
  private readonly slots: Slot[];

  constructor(points: IntensityPoint[], nowMs: number, private readonly concurrency: number, horizonEndMs: number) {
    const lanes = Math.max(1, concurrency);
    this.slots = [];
    for (const p of [...points].sort((a, b) => a.fromMs - b.fromMs)) {
      if (p.toMs <= nowMs) continue;
      const fromMs = Math.max(p.fromMs, nowMs, this.slots[this.slots.length - 1]?.toMs ?? -Infinity);
      if (fromMs >= p.toMs) continue;
      this.slots.push({ fromMs, toMs: p.toMs, gPerKWh: p.gPerKWh, freeMs: (p.toMs - fromMs) * lanes });
    }
    const last = this.slots[this.slots.length - 1];
    // Extend with the last value so runs that end past the forecast can be placed; two days
    // past its end is plenty (starts are only chosen inside the forecast), however far the
    // deadlines are.
    const end = Math.min(horizonEndMs, (last?.toMs ?? nowMs) + MAX_EXTENSION_MS);
    for (let t = last?.toMs ?? nowMs; last && t < end; t += DEFAULT_SLOT_MS) {
      this.slots.push({ fromMs: t, toMs: t + DEFAULT_SLOT_MS, gPerKWh: last.gPerKWh, freeMs: DEFAULT_SLOT_MS * lanes, assumed: true });
    }
  }

  get empty(): boolean {
    return this.slots.length === 0;
  }

  /** Candidate starts: now and each later period start up to `latestStartMs`. */
  starts(nowMs: number, latestStartMs: number): number[] {
    const out = [nowMs];
    for (const s of this.slots) if (!s.assumed && s.fromMs > nowMs && s.fromMs <= latestStartMs) out.push(s.fromMs);
    return out;
  }

  /** Where a run of `runMs` starting at `startMs` would end and at what mean intensity. */
  trial(startMs: number, runMs: number): Trial | undefined {
    return this.walk(startMs, runMs, false);
  }

  reserve(startMs: number, runMs: number): Trial | undefined {
    return this.walk(startMs, runMs, true);
  }

  private walk(startMs: number, runMs: number, commit: boolean): Trial | undefined {
    let left = runMs;
    let weighted = 0;
    let finishMs = startMs;
    for (const s of this.slots) {
      if (left <= 0) break;
      if (s.toMs <= startMs) continue;
      const span = s.toMs - Math.max(s.fromMs, startMs);
      const use = Math.min(left, span, s.freeMs);
      if (use <= 0) continue;
      weighted += use * s.gPerKWh;
      left -= use;
      // Within a period the lane's share is spread out; the job ends no earlier than its use.
      finishMs = Math.max(s.fromMs, startMs) + (use >= span ? span : use);
      if (commit) s.freeMs -= use;
    }
    if (left > 0 || runMs <= 0) return runMs <= 0 ? { startMs, finishMs: startMs, meanGPerKWh: this.slots[0]?.gPerKWh ?? 0 } : undefined;
    return { startMs, finishMs, meanGPerKWh: weighted / runMs };
  }
}
