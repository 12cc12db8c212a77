import os from 'node:os';
import si from 'systeminformation';
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import { readCpuInfo, readMeminfo, cpuFamily, type CpuFamily } from './cpu-info.js';
import { readOptionalText } from './sysfs.js';
import { probeRapl } from './rapl.js';
import { probeIna3221 } from './ina3221.js';
import { probeBattery, readPowerSupplies } from './power-supply.js';
import { probePowermetrics } from './powermetrics.js';
import { NvmlMeter, nvmlInfo, queryNvidiaGpus, runCommand, type RunCommand } from './nvidia-smi.js';
import { listThermalSensors, type ThermalSensor } from './thermal.js';
import type { MeterInfo, PowerMeter } from './meter-types.js';

/** What `earshot hardware --json` prints: what this box is and what it can measure. */
export interface HardwareProfile {
  root: string;
  device: {
    kind: 'jetson' | 'apple-silicon' | 'x86' | 'arm' | 'unknown';
    model: string;
    /** Jetson only: L4T release from /etc/nv_tegra_release, e.g. "R35.4.1". */
    l4t?: string;
  };
  cpu: { model: string; family: CpuFamily; logicalCores: number };
  memory: { totalBytes: number; availableBytes?: number };
  gpus: Array<{ vendor: 'nvidia' | 'apple' | 'other'; model: string; memoryMiB?: number; source: 'nvidia-smi' | 'jetson' | 'apple-silicon' }>;
  /** onnxruntime-node backends this build can use (bundled) or could with extra libraries. */
  executionProviders: Array<{ name: string; bundled: boolean }>;
  thermal: ThermalSensor[];
  meters: MeterInfo[];
  power: { acOnline?: boolean; onBattery: boolean; batteryPercent?: number };
  /** "measured" when at least one meter is readable; every energy figure carries this label. */
  energySource: 'measured' | 'estimated';
}

export interface ProbeOptions {
  /** Filesystem root for sysfs/procfs/etc reads ("/" in production, a fixture tree in tests). */
  root: string;
  platform?: NodeJS.Platform;
  arch?: string;
  /** Also ask systeminformation (reads the real machine, so only for root "/"). */
  useSystemInformation?: boolean;
  /** Runs nvidia-smi/powermetrics; tests pass one that serves recorded output. */
  run?: RunCommand;
  /** Skip external commands (fixture roots describe boxes without them). */
  runCommands?: boolean;
  ortBackends?: () => Promise<Array<{ name: string; bundled: boolean }>>;
  logger?: Logger;
}

export interface ProbeResult {
  profile: HardwareProfile;
  /** Readable meters, best first (whole-box meters before component meters). */
  meters: PowerMeter[];
}

async function defaultOrtBackends(): Promise<Array<{ name: string; bundled: boolean }>> {
  const ort = await import('onnxruntime-node');
  return ort.listSupportedBackends().map((b) => ({ name: b.name, bundled: b.bundled }));
}

export async function probeHardware(options: ProbeOptions): Promise<ProbeResult> {
  const { root } = options;
  const log = options.logger ?? silentLogger;
  const platform = options.platform ?? process.platform;
  const live = options.useSystemInformation ?? root === '/';
  const runCommands = options.runCommands ?? root === '/';
  const run = options.run ?? runCommand;

  const cpuFile = await readCpuInfo(root);
  let cpu = cpuFile ?? { model: os.cpus()[0]?.model ?? 'unknown CPU', family: cpuFamily(os.cpus()[0]?.model ?? ''), logicalCores: os.cpus().length };
  const memFile = await readMeminfo(root);
  let memory: HardwareProfile['memory'] = memFile ?? { totalBytes: os.totalmem(), availableBytes: os.freemem() };
  if (live) {
    try {
      const [c, m] = await Promise.all([si.cpu(), si.mem()]);
      const model = `${c.manufacturer} ${c.brand}`.trim();
      if (!cpuFile || /^unknown/.test(cpu.model)) cpu = { model, family: cpuFamily(model), logicalCores: c.cores };
      memory = { totalBytes: m.total, availableBytes: m.available };
    } catch (err) {
      log.debug('systeminformation cpu/mem failed', { err });
    }
  }

  const dtModel = await readOptionalText(root, '/proc/device-tree/model');
  const tegra = await readOptionalText(root, '/etc/nv_tegra_release');
  const gpus: HardwareProfile['gpus'] = [];
  let device: HardwareProfile['device'];
  if (tegra !== undefined || (dtModel && /jetson/i.test(dtModel))) {
    device = { kind: 'jetson', model: dtModel ?? 'NVIDIA Jetson' };
    const l4t = tegra ? parseTegraRelease(tegra) : undefined;
    if (l4t) device.l4t = l4t;
    gpus.push({ vendor: 'nvidia', model: `${device.model} integrated GPU`, source: 'jetson' });
  } else if (platform === 'darwin' && (options.arch ?? process.arch) === 'arm64') {
    device = { kind: 'apple-silicon', model: cpu.model };
    gpus.push({ vendor: 'apple', model: `${cpu.model} GPU`, source: 'apple-silicon' });
  } else if (/x86|intel|amd/i.test(cpu.model) || cpu.family.startsWith('intel') || cpu.family.startsWith('amd')) {
    device = { kind: 'x86', model: dtModel ?? (await readOptionalText(root, '/sys/class/dmi/id/product_name')) ?? cpu.model };
  } else {
    device = { kind: cpu.family.startsWith('arm') ? 'arm' : 'unknown', model: dtModel ?? cpu.model };
  }

  const meters: PowerMeter[] = [];
  const meterInfo: MeterInfo[] = [];
  const add = (r: { meter?: PowerMeter; info?: MeterInfo }): void => {
    if (r.info) meterInfo.push(r.info);
    if (r.meter && r.info?.readable) meters.push(r.meter);
  };
  // Whole-box meters first: INA3221 VDD_IN and a discharging battery see everything.
  add(await probeIna3221(root));
  const supplies = await readPowerSupplies(root);
  add(await probeBattery(root, supplies));
  add(await probeRapl(root));
  if (runCommands) {
    const nv = await queryNvidiaGpus(run);
    for (const g of nv.gpus) gpus.push({ vendor: 'nvidia', model: g.name, ...(g.memoryMiB !== undefined ? { memoryMiB: g.memoryMiB } : {}), source: 'nvidia-smi' });
    const info = nvmlInfo(nv.gpus);
    if (info) add({ meter: new NvmlMeter(run), info });
    add(await probePowermetrics(platform, run));
  }

  const thermal = await listThermalSensors(root);
  if (live && thermal.length === 0) {
    try {
      const t = await si.cpuTemperature();
      if (typeof t.main === 'number') thermal.push({ id: 'cpu', source: 'systeminformation', label: 'cpu (systeminformation)', celsius: t.main });
    } catch (err) {
      log.debug('systeminformation cpuTemperature failed', { err });
    }
  }

  let executionProviders: HardwareProfile['executionProviders'] = [];
  try {
    executionProviders = await (options.ortBackends ?? defaultOrtBackends)();
  } catch (err) {
    log.warn('could not list onnxruntime backends', { err });
  }

  const battery = supplies.batteries[0];
  const power: HardwareProfile['power'] = { onBattery: battery?.status === 'Discharging' };
  if (supplies.acOnline !== undefined) power.acOnline = supplies.acOnline;
  if (battery?.percent !== undefined) power.batteryPercent = battery.percent;
  if (live && !battery && platform !== 'linux') {
    // macOS and Windows have no power_supply sysfs; systeminformation asks the OS.
    try {
      const b = await si.battery();
      if (b.hasBattery) {
        power.onBattery = !b.acConnected;
        power.acOnline = b.acConnected;
        power.batteryPercent = b.percent;
      }
    } catch (err) {
      log.debug('systeminformation battery failed', { err });
    }
  }

  const profile: HardwareProfile = {
    root,
    device,
    cpu,
    memory,
    gpus,
    executionProviders,
    thermal,
    meters: meterInfo,
    power,
    energySource: meters.length > 0 ? 'measured' : 'estimated',
  };
  return { profile, meters };
}

/** "# R35 (release), REVISION: 4.1, ..." → "R35.4.1". */
export function parseTegraRelease(text: string): string | undefined {
  const m = /#\s*R(\d+)\s*\(release\),\s*REVISION:\s*([\d.]+)/.exec(text);
  return m ? `R${m[1]}.${m[2]}` : undefined;
}
