/**
 * Power meters the box may have. A meter either exposes a cumulative energy counter (RAPL)
 * or an instantaneous power reading (NVML, INA3221 rails, battery discharge, powermetrics);
 * `joulesBetween` turns two readings of either kind into joules for a time span.
 */
export type MeterKind = 'rapl' | 'nvml' | 'ina3221' | 'battery' | 'powermetrics';

/** One cumulative counter in microjoules, with the range after which it wraps to 0. */
export interface EnergyCounter {
  uj: number;
  /** `max_energy_range_uj`; undefined when the kernel does not expose it. */
  maxUj?: number;
}

export type MeterReading =
  | { ok: true; atMs: number; counters: Record<string, EnergyCounter> }
  | { ok: true; atMs: number; watts: number }
  | { ok: false; atMs: number; reason: string };

export interface PowerMeter {
  readonly kind: MeterKind;
  /** What it measures, e.g. "package-0+dram" or "VDD_IN". */
  readonly name: string;
  read(): Promise<MeterReading>;
}

/** What the probe reports about a meter (readable or not, and why). */
export interface MeterInfo {
  kind: MeterKind;
  name: string;
  readable: boolean;
  /** Why it cannot be read (e.g. "EACCES on .../energy_uj: run as root or add a udev rule"). */
  note?: string;
  /** The last value read during the probe, for `earshot hardware`. */
  watts?: number;
}

/** A span this long over which an energy counter that does not move is taken to measure nothing. */
export const STILL_COUNTER_SEC = 0.01;

export type EnergySpan = { ok: true; joules: number } | { ok: false; reason: string };

/** Joules consumed between two readings of the same meter; never negative or NaN. */
export function joulesBetween(prev: MeterReading, next: MeterReading): EnergySpan {
  if (!prev.ok) return { ok: false, reason: prev.reason };
  if (!next.ok) return { ok: false, reason: next.reason };
  const seconds = (next.atMs - prev.atMs) / 1000;
  if (!(seconds >= 0)) return { ok: false, reason: 'readings out of order' };
  if ('watts' in prev && 'watts' in next) {
    // Trapezoid: the mean of the two instantaneous readings over the span.
    return finite(((prev.watts + next.watts) / 2) * seconds);
  }
  if ('counters' in prev && 'counters' in next) {
    let uj = 0;
    for (const [zone, a] of Object.entries(prev.counters)) {
      const b = next.counters[zone];
      if (!b) return { ok: false, reason: `zone ${zone} disappeared between readings` };
      const d = counterDelta(a, b);
      if (d === undefined) return { ok: false, reason: `zone ${zone} went backwards and its wrap range is unknown` };
      uj += d;
    }
    // A working counter moves every millisecond or so (RAPL's update interval); one that stood
    // still over a longer span reads nothing (a VM's or a firmware's stub): its 0 J would bill
    // every job as measured at 0 J and 0 gCO2e.
    if (uj === 0 && seconds >= STILL_COUNTER_SEC) return { ok: false, reason: `counter did not move in ${seconds.toFixed(2)} s: it measures nothing here` };
    return finite(uj / 1e6);
  }
  return { ok: false, reason: 'readings of different meter types' };
}

/**
 * Microjoules between two readings of one RAPL counter. The counter wraps at
 * `max_energy_range_uj` (Linux powercap sysfs ABI); a drop means it wrapped once — more than
 * one wrap between two readings (minutes at full load) cannot be detected, so the meter is
 * sampled far more often than that by the scheduler loop.
 */
export function counterDelta(prev: EnergyCounter, next: EnergyCounter): number | undefined {
  if (!Number.isFinite(prev.uj) || !Number.isFinite(next.uj)) return undefined;
  if (next.uj >= prev.uj) return next.uj - prev.uj;
  const max = next.maxUj ?? prev.maxUj;
  if (max === undefined || !(max > prev.uj)) return undefined;
  return max - prev.uj + next.uj;
}

function finite(joules: number): EnergySpan {
  return Number.isFinite(joules) && joules >= 0 ? { ok: true, joules } : { ok: false, reason: `invalid energy ${joules}` };
}
