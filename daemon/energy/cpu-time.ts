import { readOptionalText } from '../hardware/sysfs.js';

/**
 * Busy CPU time of the whole box from /proc/stat's aggregate "cpu" line (USER_HZ ticks,
 * 100 per second on every Linux ABI we target): everything but idle and iowait.
 * https://man7.org/linux/man-pages/man5/proc.5.html
 */
export const USER_HZ = 100;

export function parseProcStatBusySeconds(text: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return undefined;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  if (f.length < 4 || f.some((x) => !Number.isFinite(x))) return undefined;
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = f;
  return (user + nice + system + irq + softirq + steal) / USER_HZ;
}

export async function readSystemBusySeconds(root: string): Promise<number | undefined> {
  const text = await readOptionalText(root, '/proc/stat');
  return text === undefined ? undefined : parseProcStatBusySeconds(text);
}

/** CPU seconds (user + system) this process has used so far. */
export function processCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
