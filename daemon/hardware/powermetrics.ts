import type { MeterInfo, MeterReading, PowerMeter } from './meter-types.js';
import { runCommand, type RunCommand } from './nvidia-smi.js';

/**
 * macOS `powermetrics` (root only): one 200 ms sample of the CPU/GPU/ANE power.
 * Its text output has lines like "Combined Power (CPU + GPU + ANE): 1234 mW".
 */
export function parsePowermetrics(text: string): number | undefined {
  const combined = /Combined Power[^:]*:\s*([\d.]+)\s*mW/i.exec(text);
  if (combined) return Number(combined[1]) / 1000;
  let mw = 0;
  let found = false;
  for (const m of text.matchAll(/^(CPU|GPU|ANE) Power:\s*([\d.]+)\s*mW/gim)) {
    mw += Number(m[2]);
    found = true;
  }
  return found ? mw / 1000 : undefined;
}

export class PowermetricsMeter implements PowerMeter {
  readonly kind = 'powermetrics' as const;
  readonly name = 'powermetrics cpu_power';

  constructor(
    private readonly run: RunCommand = runCommand,
    private readonly clock: () => number = Date.now,
  ) {}

  async read(): Promise<MeterReading> {
    const atMs = this.clock();
    try {
      const out = await this.run('powermetrics', ['--samplers', 'cpu_power', '-n', '1', '-i', '200'], 3000);
      const watts = parsePowermetrics(out);
      return watts === undefined ? { ok: false, atMs, reason: 'powermetrics printed no power line' } : { ok: true, atMs, watts };
    } catch (err) {
      return { ok: false, atMs, reason: `powermetrics: ${(err as Error).message} (it needs root)` };
    }
  }
}

export async function probePowermetrics(platform: string, run?: RunCommand): Promise<{ meter?: PowermetricsMeter; info?: MeterInfo }> {
  if (platform !== 'darwin') return {};
  const meter = new PowermetricsMeter(run);
  const r = await meter.read();
  return r.ok
    ? { meter, info: { kind: 'powermetrics', name: meter.name, readable: true, watts: 'watts' in r ? r.watts : 0 } }
    : { info: { kind: 'powermetrics', name: meter.name, readable: false, note: r.reason } };
}
