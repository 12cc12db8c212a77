import type { CpuFamily } from '../hardware/cpu-info.js';
import { profileFor } from './cpu-power-profile.js';

/**
 * Joules per job, from the best source available, always labelled:
 * - `measured`: the meter's delta over the job's wall time, times the process's share of
 *   the CPU time the whole box spent in that span (so other load on the box is not billed
 *   to the job);
 * - `estimated`: CPU seconds × per-core watts of the CPU family, plus the job's share of the
 *   box's idle draw over its wall time.
 */
export interface JobEnergyInput {
  wallSeconds: number;
  /** CPU seconds this process spent on the job (user + system). */
  processCpuSeconds: number;
  /** CPU seconds the whole box spent busy in the same span; undefined when unknown. */
  systemCpuSeconds?: number;
  /** Joules the meter saw over the span, or why there is no measurement. */
  meter?: { ok: true; joules: number; kind: string } | { ok: false; reason: string };
  cpuFamily: CpuFamily;
  /**
   * The operator's figures (energy.idleWatts, energy.wattsPerThread), each in place of the
   * CPU family's: the same power model for estimates as for the budget.
   */
  configured?: { idleWatts?: number; wattsPerThread?: number };
  /** Share of the idle baseline to bill this job (1 ÷ jobs running at once). */
  idleShare?: number;
}

export interface JobEnergy {
  joules: number;
  kWh: number;
  source: 'measured' | 'estimated';
  /** The meter kind, or "cpu-model:<family>" for estimates. */
  method: string;
  /** Fraction of the meter's energy billed to the job (measured only). */
  share?: number;
  /** Why the estimate was used instead of a meter. */
  note?: string;
}

export function accountJobEnergy(input: JobEnergyInput): JobEnergy {
  const wall = positive(input.wallSeconds);
  const cpu = positive(input.processCpuSeconds);
  if (input.meter?.ok && Number.isFinite(input.meter.joules) && input.meter.joules >= 0) {
    const system = input.systemCpuSeconds;
    // With nothing else busy (or no /proc/stat), the whole delta is the job's; never bill more than all of it.
    const share = system !== undefined && system > cpu && system > 0 ? cpu / system : 1;
    const joules = input.meter.joules * share;
    return { joules, kWh: joules / 3.6e6, source: 'measured', method: input.meter.kind, share };
  }
  const profile = profileFor(input.cpuFamily);
  const { idleWatts = profile.idleWatts, wattsPerThread = profile.activeWattsPerCore } = input.configured ?? {};
  const idleShare = input.idleShare === undefined ? 1 : Math.min(1, positive(input.idleShare));
  const joules = cpu * wattsPerThread + idleWatts * wall * idleShare;
  // "configured" where the operator's figures took part: the estimate is theirs, not the family's.
  const configured = input.configured?.idleWatts !== undefined || input.configured?.wattsPerThread !== undefined;
  const result: JobEnergy = { joules, kWh: joules / 3.6e6, source: 'estimated', method: configured ? `cpu-model:${input.cpuFamily}+configured` : `cpu-model:${input.cpuFamily}` };
  const note = input.meter && !input.meter.ok ? input.meter.reason : input.meter === undefined ? 'no readable power meter on this box' : undefined;
  if (note) result.note = note;
  return result;
}

/** gCO2e for an energy figure at a grid intensity in gCO2e/kWh. */
export function gramsCo2e(kWh: number, gPerKWh: number): number {
  const g = kWh * gPerKWh;
  return Number.isFinite(g) && g >= 0 ? g : 0;
}

function positive(x: number): number {
  return Number.isFinite(x) && x > 0 ? x : 0;
}
