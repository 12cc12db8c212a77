import type { CpuFamily } from '../hardware/cpu-info.js';
import { joulesBetween, type MeterReading, type PowerMeter } from '../hardware/meter-types.js';
import { accountJobEnergy, type JobEnergy } from './job-energy.js';
import { processCpuSeconds, readSystemBusySeconds } from './cpu-time.js';

/** What a job's energy is measured from: the probe's meters and the box's CPU family. */
export interface JobEnergyTrackerOptions {
  meters: PowerMeter[];
  cpuFamily: CpuFamily;
  /** energy.idleWatts / energy.wattsPerThread where set: estimates use them (JobEnergyInput.configured). */
  configured?: { idleWatts?: number; wattsPerThread?: number };
  /** Root for /proc/stat (a fixture in tests). */
  root: string;
  clock?: () => number;
  /** CPU seconds used so far by whatever runs the jobs; defaults to this process. */
  cpuSeconds?: () => number;
}

export interface EnergySpanStart {
  atMs: number;
  cpu: number;
  system: number | undefined;
  readings: MeterReading[];
}

/**
 * Brackets a job: `begin()` before it runs, `end(start, idleShare)` after. Meters are tried
 * best first; the first one readable at both ends wins, else the estimate is used with the
 * reason.
 */
export class JobEnergyTracker {
  constructor(private readonly options: JobEnergyTrackerOptions) {}

  async begin(): Promise<EnergySpanStart> {
    const clock = this.options.clock ?? Date.now;
    const readings = await Promise.all(this.options.meters.map((m) => m.read()));
    return { atMs: clock(), cpu: (this.options.cpuSeconds ?? processCpuSeconds)(), system: await readSystemBusySeconds(this.options.root), readings };
  }

  async end(start: EnergySpanStart, idleShare = 1): Promise<JobEnergy> {
    const clock = this.options.clock ?? Date.now;
    const readings = await Promise.all(this.options.meters.map((m) => m.read()));
    const atMs = clock();
    const cpu = (this.options.cpuSeconds ?? processCpuSeconds)() - start.cpu;
    const systemEnd = await readSystemBusySeconds(this.options.root);
    const system = start.system !== undefined && systemEnd !== undefined ? systemEnd - start.system : undefined;
    let meter: { ok: true; joules: number; kind: string } | { ok: false; reason: string } | undefined;
    const reasons: string[] = [];
    for (let i = 0; i < this.options.meters.length; i++) {
      const a = start.readings[i];
      const b = readings[i];
      const m = this.options.meters[i];
      if (!a || !b || !m) continue;
      const span = joulesBetween(a, b);
      if (span.ok) {
        meter = { ok: true, joules: span.joules, kind: m.kind };
        break;
      }
      reasons.push(`${m.kind}: ${span.reason}`);
    }
    if (!meter && reasons.length > 0) meter = { ok: false, reason: reasons.join('; ') };
    return accountJobEnergy({
      wallSeconds: (atMs - start.atMs) / 1000,
      processCpuSeconds: cpu,
      ...(system !== undefined ? { systemCpuSeconds: system } : {}),
      ...(meter ? { meter } : {}),
      cpuFamily: this.options.cpuFamily,
      ...(this.options.configured ? { configured: this.options.configured } : {}),
      idleShare,
    });
  }
}
