import { listDir, readInteger, readOptionalText } from './sysfs.js';
import type { MeterInfo, MeterReading, PowerMeter } from './meter-types.js';

/**
 * Batteries and mains adapters (`/sys/class/power_supply`). While the box runs on battery
 * its discharge power (`power_now` µW, or `current_now` µA × `voltage_now` µV) is the whole
 * system's draw, which makes the battery a meter.
 * https://www.kernel.org/doc/Documentation/ABI/testing/sysfs-class-power
 */
const SUPPLY = '/sys/class/power_supply';

export interface PowerSupplyState {
  acOnline?: boolean;
  batteries: Array<{ id: string; status?: string; percent?: number; path: string }>;
}

export async function readPowerSupplies(root: string): Promise<PowerSupplyState> {
  const state: PowerSupplyState = { batteries: [] };
  for (const id of await listDir(root, SUPPLY)) {
    const dir = `${SUPPLY}/${id}`;
    const type = await readOptionalText(root, `${dir}/type`);
    if (type === 'Mains') {
      const online = await readInteger(root, `${dir}/online`);
      if (online.ok) state.acOnline = (state.acOnline ?? false) || online.value === 1;
    } else if (type === 'Battery') {
      const b: PowerSupplyState['batteries'][number] = { id, path: dir };
      const status = await readOptionalText(root, `${dir}/status`);
      const capacity = await readInteger(root, `${dir}/capacity`);
      if (status) b.status = status;
      if (capacity.ok) b.percent = capacity.value;
      state.batteries.push(b);
    }
  }
  return state;
}

export class BatteryMeter implements PowerMeter {
  readonly kind = 'battery' as const;

  constructor(
    private readonly root: string,
    private readonly dir: string,
    readonly name: string,
    private readonly clock: () => number = Date.now,
  ) {}

  async read(): Promise<MeterReading> {
    const atMs = this.clock();
    const status = await readOptionalText(this.root, `${this.dir}/status`);
    if (status !== 'Discharging') return { ok: false, atMs, reason: `${this.name} is ${status ?? 'unknown'}, not discharging: its reading is not the system draw` };
    const power = await readInteger(this.root, `${this.dir}/power_now`);
    if (power.ok) return { ok: true, atMs, watts: Math.abs(power.value) / 1e6 };
    const current = await readInteger(this.root, `${this.dir}/current_now`);
    const voltage = await readInteger(this.root, `${this.dir}/voltage_now`);
    if (current.ok && voltage.ok) return { ok: true, atMs, watts: Math.abs(current.value * voltage.value) / 1e12 };
    return { ok: false, atMs, reason: `${this.dir}: neither power_now nor current_now+voltage_now readable` };
  }
}

export async function probeBattery(root: string, state: PowerSupplyState): Promise<{ meter?: BatteryMeter; info?: MeterInfo }> {
  const b = state.batteries[0];
  if (!b) return {};
  const meter = new BatteryMeter(root, b.path, b.id);
  const r = await meter.read();
  // A battery that is charging or full is still a meter the box has; it just cannot be used now.
  return r.ok
    ? { meter, info: { kind: 'battery', name: b.id, readable: true, watts: 'watts' in r ? r.watts : 0 } }
    : { meter, info: { kind: 'battery', name: b.id, readable: false, note: r.reason } };
}
