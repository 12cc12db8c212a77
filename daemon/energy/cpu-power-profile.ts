import type { CpuFamily } from '../hardware/cpu-info.js';

/**
 * A coarse power model for boxes without a meter: watts drawn per fully busy core above
 * idle, and the whole box's idle draw. Figures are typical of each family's edge/desktop
 * parts (TDP ÷ cores for the active figure, vendor/platform idle for the baseline); they make
 * estimates comparable across boxes, not exact — which is why such figures are always
 * labelled `estimated`.
 */
export interface CpuPowerProfile {
  activeWattsPerCore: number;
  idleWatts: number;
}

export const CPU_POWER_PROFILES: Record<CpuFamily, CpuPowerProfile> = {
  'intel-core': { activeWattsPerCore: 5.5, idleWatts: 6 },
  'intel-atom': { activeWattsPerCore: 2.5, idleWatts: 4 },
  'intel-xeon': { activeWattsPerCore: 7, idleWatts: 40 },
  'amd-ryzen': { activeWattsPerCore: 5, idleWatts: 8 },
  'amd-epyc': { activeWattsPerCore: 4, idleWatts: 60 },
  'arm-cortex-a78': { activeWattsPerCore: 1.2, idleWatts: 4.5 },
  'arm-cortex-a72': { activeWattsPerCore: 0.9, idleWatts: 2.5 },
  'arm-cortex-a57': { activeWattsPerCore: 1.1, idleWatts: 3 },
  'arm-neoverse': { activeWattsPerCore: 2.5, idleWatts: 20 },
  'apple-m': { activeWattsPerCore: 2.5, idleWatts: 5 },
  unknown: { activeWattsPerCore: 5, idleWatts: 10 },
};

export function profileFor(family: CpuFamily): CpuPowerProfile {
  return CPU_POWER_PROFILES[family] ?? CPU_POWER_PROFILES.unknown;
}

/** The modelled draw of the box with `busyCores` cores busy (for power-budget decisions). */
export function estimatedBoxWatts(family: CpuFamily, busyCores: number): number {
  const p = profileFor(family);
  return p.idleWatts + p.activeWattsPerCore * Math.max(0, busyCores);
}
