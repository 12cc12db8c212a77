import type { EarshotConfig } from '../config/types.js';
import type { CarbonConfig } from '../energy/carbon/create-source.js';
import type { CpuFamily } from '../hardware/cpu-info.js';

/**
 * The `scheduler` and `energy` sections of config.json, after ajv filled every default from
 * config.schema.json (the defaults live there only; this names the shape).
 */
export interface SchedulerConfig {
  powerBudgetWatts: number | null;
  maxThreads: number;
  maxConcurrency: number;
  tickMs: number;
  stopGraceSec: number;
  realTimeFactor: number;
  minCarbonSaving: number;
  deadlineSafety: number;
  thermal: { softC: number; hardC: number; hysteresisC: number; sensor: string | null; sysfsRoot: string };
  carbon: CarbonConfig;
  batch: { defaultDeadlineHours: number; maxAttempts: number };
  retention: { doneDays: number; failedDays: number };
  model: { idleUnloadSec: number; preloadMinutes: number; memoryPressurePercent: number };
}

export interface EnergyConfig {
  meter: 'auto' | 'none' | 'rapl' | 'ina3221' | 'nvml' | 'battery' | 'powermetrics';
  cpuFamily: CpuFamily | null;
  wattsPerThread: number | null;
  idleWatts: number | null;
}

export function schedulerSection(config: EarshotConfig): SchedulerConfig {
  const s = config.scheduler as SchedulerConfig | undefined;
  if (!s || typeof s !== 'object' || !s.carbon) {
    throw new Error('config has no "scheduler" section with defaults: config.schema.json must include the scheduler fragment (daemon/scheduler/config.ts)');
  }
  return s;
}

export function energySection(config: EarshotConfig): EnergyConfig {
  const e = config.energy as EnergyConfig | undefined;
  if (!e || typeof e !== 'object' || !e.meter) {
    throw new Error('config has no "energy" section with defaults: config.schema.json must include it (daemon/scheduler/config.ts)');
  }
  return e;
}

/** `scheduler.retention` in milliseconds: how long done and failed records are kept (the queue's and fleet results). */
export function retentionMs(retention: SchedulerConfig['retention']): { doneMs: number; failedMs: number } {
  return { doneMs: retention.doneDays * 86_400_000, failedMs: retention.failedDays * 86_400_000 };
}
