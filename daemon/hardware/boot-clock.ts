import { readOptionalText } from './sysfs.js';

/**
 * Where this box is in its current boot: the kernel's boot id (new at every boot) and the
 * seconds since that boot (/proc/uptime, CLOCK_BOOTTIME: suspend included). Together they
 * time something saved earlier in the same boot without the wall clock, which NTP, an
 * operator or a box without a battery-backed clock (its time restored from the last shutdown)
 * may step back: an old file would then look new. Undefined where /proc has neither (macOS).
 */
export interface BootClock {
  bootId: string;
  uptimeSec: number;
}

export async function readBootClock(root: string): Promise<BootClock | undefined> {
  const [bootId, uptime] = await Promise.all([readOptionalText(root, '/proc/sys/kernel/random/boot_id'), readOptionalText(root, '/proc/uptime')]);
  const uptimeSec = Number(uptime?.split(/\s+/)[0]);
  if (!bootId || !Number.isFinite(uptimeSec) || uptimeSec < 0) return undefined;
  return { bootId, uptimeSec };
}
