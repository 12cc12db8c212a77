import { readOptionalText } from './sysfs.js';

/** CPU identity from /proc/cpuinfo under a root; ARM boards name the core by part number. */
export interface CpuInfo {
  model: string;
  /** Coarse family used for the power model: see daemon/energy/cpu-power-profile.ts. */
  family: CpuFamily;
  logicalCores: number;
}

export type CpuFamily = 'intel-core' | 'intel-atom' | 'intel-xeon' | 'amd-ryzen' | 'amd-epyc' | 'arm-cortex-a78' | 'arm-cortex-a57' | 'arm-cortex-a72' | 'arm-neoverse' | 'apple-m' | 'unknown';

/** ARM "CPU part" ids (ARM TRMs) for the cores found on edge boards. */
const ARM_PARTS: Record<string, string> = {
  '0xd03': 'Cortex-A53',
  '0xd07': 'Cortex-A57',
  '0xd08': 'Cortex-A72',
  '0xd0b': 'Cortex-A76',
  '0xd0c': 'Neoverse-N1',
  '0xd42': 'Cortex-A78AE',
  '0xd41': 'Cortex-A78',
  '0xd40': 'Neoverse-V1',
};

export function parseCpuinfo(text: string): Omit<CpuInfo, 'family'> {
  let model: string | undefined;
  let part: string | undefined;
  let cores = 0;
  for (const line of text.split('\n')) {
    const [k, ...rest] = line.split(':');
    const key = (k ?? '').trim();
    const value = rest.join(':').trim();
    if (key === 'processor') cores++;
    else if (key === 'model name' && !model) model = value;
    else if (key === 'CPU part' && !part) part = value.toLowerCase();
  }
  if (!model && part) model = `ARM ${ARM_PARTS[part] ?? `part ${part}`}`;
  return { model: model ?? 'unknown CPU', logicalCores: Math.max(cores, 1) };
}

export function cpuFamily(model: string): CpuFamily {
  const m = model.toLowerCase();
  if (/apple m\d/.test(m)) return 'apple-m';
  if (m.includes('xeon')) return 'intel-xeon';
  if (/atom|celeron|pentium silver|intel\(r\) n\d{2,3}/.test(m)) return 'intel-atom';
  if (m.includes('intel')) return 'intel-core';
  if (m.includes('epyc')) return 'amd-epyc';
  if (m.includes('amd') || m.includes('ryzen')) return 'amd-ryzen';
  if (m.includes('a78')) return 'arm-cortex-a78';
  if (m.includes('a57')) return 'arm-cortex-a57';
  if (m.includes('a72') || m.includes('a76') || m.includes('a53')) return 'arm-cortex-a72';
  if (m.includes('neoverse')) return 'arm-neoverse';
  return 'unknown';
}

export async function readCpuInfo(root: string): Promise<CpuInfo | undefined> {
  const text = await readOptionalText(root, '/proc/cpuinfo');
  if (!text) return undefined;
  const parsed = parseCpuinfo(text);
  return { ...parsed, family: cpuFamily(parsed.model) };
}

/** MemTotal/MemAvailable from /proc/meminfo, in bytes. */
export async function readMeminfo(root: string): Promise<{ totalBytes: number; availableBytes?: number } | undefined> {
  const text = await readOptionalText(root, '/proc/meminfo');
  if (!text) return undefined;
  const kb = (key: string): number | undefined => {
    const m = new RegExp(`^${key}:\\s+(\\d+)\\s*kB`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : undefined;
  };
  const total = kb('MemTotal');
  if (total === undefined) return undefined;
  const available = kb('MemAvailable');
  return available === undefined ? { totalBytes: total } : { totalBytes: total, availableBytes: available };
}
