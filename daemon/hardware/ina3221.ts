import { listDir, readInteger, readOptionalText } from './sysfs.js';
import type { MeterInfo, MeterReading, PowerMeter } from './meter-types.js';

/**
 * Jetson INA3221 power monitors through hwmon (L4T 34+ on Orin/Xavier: `inN_label`,
 * `inN_input` in mV, `currN_input` in mA) or the older iio-style `in_powerN_input` in mW with
 * `rail_name_N`. `VDD_IN` is the module's total input on Orin, so it is used alone when
 * present; otherwise the rails are summed.
 * https://docs.nvidia.com/jetson/archives/r35.1/DeveloperGuide/text/SD/PlatformPowerAndPerformance/JetsonOrinNxSeriesAndJetsonAgxOrinSeries.html
 */
const HWMON = '/sys/class/hwmon';

export interface InaRail {
  label: string;
  /** Files to read: either power in mW, or voltage (mV) and current (mA). */
  powerPath?: string;
  voltagePath?: string;
  currentPath?: string;
}

export async function listInaRails(root: string): Promise<InaRail[]> {
  const rails: InaRail[] = [];
  for (const dev of await listDir(root, HWMON)) {
    const dir = `${HWMON}/${dev}`;
    const name = await readOptionalText(root, `${dir}/name`);
    if (!name || !name.startsWith('ina3221')) continue;
    const files = await listDir(root, dir);
    for (const f of files) {
      const hw = /^in(\d+)_label$/.exec(f);
      if (hw) {
        const n = hw[1];
        const label = (await readOptionalText(root, `${dir}/${f}`)) ?? `in${n}`;
        // Orin's hwmon lists a "sum of shunt voltages" channel (in7) with no current.
        if (!files.includes(`curr${n}_input`)) continue;
        rails.push({ label, voltagePath: `${dir}/in${n}_input`, currentPath: `${dir}/curr${n}_input` });
      }
      const legacy = /^in_power(\d+)_input$/.exec(f);
      if (legacy) {
        const n = legacy[1];
        const label = (await readOptionalText(root, `${dir}/rail_name_${n}`)) ?? `rail${n}`;
        rails.push({ label, powerPath: `${dir}/${f}` });
      }
    }
  }
  const total = rails.filter((r) => r.label === 'VDD_IN');
  return total.length > 0 ? total : rails;
}

export class Ina3221Meter implements PowerMeter {
  readonly kind = 'ina3221' as const;
  readonly name: string;

  constructor(
    private readonly root: string,
    private readonly rails: InaRail[],
    private readonly clock: () => number = Date.now,
  ) {
    this.name = rails.map((r) => r.label).join('+');
  }

  async read(): Promise<MeterReading> {
    const atMs = this.clock();
    let milliwatts = 0;
    for (const rail of this.rails) {
      if (rail.powerPath) {
        const p = await readInteger(this.root, rail.powerPath);
        if (!p.ok) return { ok: false, atMs, reason: `${rail.powerPath}: ${p.code}` };
        milliwatts += p.value;
        continue;
      }
      const mv = await readInteger(this.root, rail.voltagePath ?? '');
      const ma = await readInteger(this.root, rail.currentPath ?? '');
      if (!mv.ok) return { ok: false, atMs, reason: `${rail.voltagePath}: ${mv.code}` };
      if (!ma.ok) return { ok: false, atMs, reason: `${rail.currentPath}: ${ma.code}` };
      milliwatts += (mv.value * ma.value) / 1000;
    }
    return { ok: true, atMs, watts: milliwatts / 1000 };
  }
}

export async function probeIna3221(root: string): Promise<{ meter?: Ina3221Meter; info?: MeterInfo }> {
  const rails = await listInaRails(root);
  if (rails.length === 0) return {};
  const meter = new Ina3221Meter(root, rails);
  const r = await meter.read();
  return r.ok
    ? { meter, info: { kind: 'ina3221', name: meter.name, readable: true, watts: round(('watts' in r && r.watts) || 0) } }
    : { info: { kind: 'ina3221', name: meter.name, readable: false, note: r.reason } };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
