import { listDir, readInteger, readOptionalText } from './sysfs.js';

/**
 * Temperature sensors: ACPI/SoC thermal zones (`/sys/class/thermal/thermal_zone*`, `temp` in
 * millidegrees C) and hwmon chips (`tempN_input`, `tempN_label`: coretemp, k10temp, nvme...).
 * https://www.kernel.org/doc/Documentation/ABI/testing/sysfs-class-thermal
 */
export interface ThermalSensor {
  /** Stable id used in config (`scheduler.thermal.sensor`): "thermal_zone0", "hwmon1/temp1". */
  id: string;
  source: 'thermal_zone' | 'hwmon' | 'systeminformation';
  /** What it is: the zone type or hwmon "name: label". */
  label: string;
  /** File to read it from, relative to the root (absent for systeminformation). */
  path?: string;
  celsius?: number;
}

export async function listThermalSensors(root: string): Promise<ThermalSensor[]> {
  const sensors: ThermalSensor[] = [];
  for (const zone of await listDir(root, '/sys/class/thermal')) {
    if (!/^thermal_zone\d+$/.test(zone)) continue;
    const dir = `/sys/class/thermal/${zone}`;
    const type = (await readOptionalText(root, `${dir}/type`)) ?? zone;
    const sensor: ThermalSensor = { id: zone, source: 'thermal_zone', label: type, path: `${dir}/temp` };
    const c = await readCelsius(root, sensor.path ?? '');
    if (c !== undefined) sensor.celsius = c;
    sensors.push(sensor);
  }
  for (const dev of await listDir(root, '/sys/class/hwmon')) {
    const dir = `/sys/class/hwmon/${dev}`;
    const name = (await readOptionalText(root, `${dir}/name`)) ?? dev;
    for (const f of await listDir(root, dir)) {
      const m = /^temp(\d+)_input$/.exec(f);
      if (!m) continue;
      const label = (await readOptionalText(root, `${dir}/temp${m[1]}_label`)) ?? `temp${m[1]}`;
      const sensor: ThermalSensor = { id: `${dev}/temp${m[1]}`, source: 'hwmon', label: `${name}: ${label}`, path: `${dir}/${f}` };
      const c = await readCelsius(root, sensor.path ?? '');
      if (c !== undefined) sensor.celsius = c;
      sensors.push(sensor);
    }
  }
  return sensors;
}

/** Degrees C from a millidegree file; undefined when unreadable or implausible. */
export async function readCelsius(root: string, path: string): Promise<number | undefined> {
  const r = await readInteger(root, path);
  if (!r.ok) return undefined;
  const c = r.value / 1000;
  // Disabled zones report -273 or 0x7fffffff-ish garbage; neither is a real temperature.
  return c > -60 && c < 200 ? c : undefined;
}

/**
 * The sensor the scheduler watches: the configured id, else the hottest CPU-ish sensor
 * (package / cpu / tj / x86_pkg_temp), else the hottest readable one.
 */
export function pickSchedulerSensor(sensors: ThermalSensor[], configured?: string): ThermalSensor | undefined {
  if (configured) return sensors.find((s) => s.id === configured || s.label === configured);
  const readable = sensors.filter((s) => s.celsius !== undefined && s.path);
  const cpuish = readable.filter((s) => /package|x86_pkg|cpu|tj-thermal|tctl|soc/i.test(s.label));
  const pool = cpuish.length > 0 ? cpuish : readable;
  return pool.sort((a, b) => (b.celsius ?? 0) - (a.celsius ?? 0))[0];
}
