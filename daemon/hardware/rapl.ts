import { listDir, readInteger, readOptionalText } from './sysfs.js';
import type { EnergyCounter, MeterInfo, MeterReading, PowerMeter } from './meter-types.js';

/**
 * Intel/AMD RAPL through the powercap sysfs class (`/sys/class/powercap/intel-rapl:N`,
 * also used by the amd_energy-capable kernels since 5.8). Package zones include their cores;
 * DRAM is a separate sub-zone; `psys` (platform) covers everything, so when it exists it is
 * read alone to avoid double counting.
 * https://www.kernel.org/doc/html/latest/power/powercap/powercap.html
 */
const POWERCAP = '/sys/class/powercap';

export interface RaplZone {
  /** sysfs directory name, e.g. "intel-rapl:0" or "intel-rapl:0:2". */
  id: string;
  /** The zone's `name` file: package-0, core, uncore, dram, psys. */
  name: string;
  path: string;
}

/** The zones whose sum is the box's measured energy (see above). */
export async function listRaplZones(root: string): Promise<RaplZone[]> {
  const all: RaplZone[] = [];
  for (const id of await listDir(root, POWERCAP)) {
    if (!/^intel-rapl:\d+(:\d+)?$/.test(id)) continue;
    const path = `${POWERCAP}/${id}`;
    const name = (await readOptionalText(root, `${path}/name`)) ?? id;
    all.push({ id, name, path });
  }
  const psys = all.filter((z) => z.name === 'psys');
  if (psys.length > 0) return psys;
  const top = all.filter((z) => /^intel-rapl:\d+$/.test(z.id) && z.name.startsWith('package'));
  const dram = all.filter((z) => z.name === 'dram');
  return [...top, ...dram];
}

export class RaplMeter implements PowerMeter {
  readonly kind = 'rapl' as const;
  readonly name: string;

  constructor(
    private readonly root: string,
    private readonly zones: RaplZone[],
    private readonly clock: () => number = Date.now,
  ) {
    this.name = zones.map((z) => z.name).join('+');
  }

  async read(): Promise<MeterReading> {
    const atMs = this.clock();
    const counters: Record<string, EnergyCounter> = {};
    for (const zone of this.zones) {
      const energy = await readInteger(this.root, `${zone.path}/energy_uj`);
      if (!energy.ok) {
        const hint = energy.code === 'EACCES' ? ' (since Linux 5.10 energy_uj is root-only: run earshotd with CAP_DAC_READ_SEARCH or add a udev rule making it group-readable)' : '';
        return { ok: false, atMs, reason: `${zone.path}/energy_uj: ${energy.code}${hint}` };
      }
      const max = await readInteger(this.root, `${zone.path}/max_energy_range_uj`);
      counters[zone.id] = max.ok ? { uj: energy.value, maxUj: max.value } : { uj: energy.value };
    }
    return { ok: true, atMs, counters };
  }
}

/** The RAPL meter of this box, if it has zones, with whether they can be read. */
export async function probeRapl(root: string): Promise<{ meter?: RaplMeter; info?: MeterInfo }> {
  const zones = await listRaplZones(root);
  if (zones.length === 0) return {};
  const meter = new RaplMeter(root, zones);
  const reading = await meter.read();
  return reading.ok
    ? { meter, info: { kind: 'rapl', name: meter.name, readable: true } }
    : { info: { kind: 'rapl', name: meter.name, readable: false, note: reading.reason } };
}
