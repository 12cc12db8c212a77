import { execFile } from 'node:child_process';
import type { MeterInfo, MeterReading, PowerMeter } from './meter-types.js';

/**
 * NVIDIA GPUs through `nvidia-smi --query-gpu` (NVML underneath), CSV without units.
 * https://docs.nvidia.com/deploy/nvidia-smi/index.html
 */
export interface NvidiaGpu {
  index: number;
  name: string;
  memoryMiB?: number;
  powerDrawW?: number;
  powerLimitW?: number;
  temperatureC?: number;
}

const FIELDS = 'index,name,memory.total,power.draw,power.limit,temperature.gpu';

/** Parses `nvidia-smi --query-gpu=<FIELDS> --format=csv,noheader,nounits` output. */
export function parseNvidiaSmiCsv(text: string): NvidiaGpu[] {
  const gpus: NvidiaGpu[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const cols = line.split(',').map((c) => c.trim());
    if (cols.length < 6) throw new Error(`nvidia-smi: expected 6 columns, got ${cols.length} in ${JSON.stringify(line)}`);
    const num = (s: string | undefined): number | undefined => {
      const n = Number(s);
      // "[N/A]" and "[Not Supported]" stand for fields the board does not report.
      return s !== undefined && s !== '' && Number.isFinite(n) ? n : undefined;
    };
    const gpu: NvidiaGpu = { index: num(cols[0]) ?? gpus.length, name: cols[1] ?? 'NVIDIA GPU' };
    const mem = num(cols[2]);
    const draw = num(cols[3]);
    const limit = num(cols[4]);
    const temp = num(cols[5]);
    if (mem !== undefined) gpu.memoryMiB = mem;
    if (draw !== undefined) gpu.powerDrawW = draw;
    if (limit !== undefined) gpu.powerLimitW = limit;
    if (temp !== undefined) gpu.temperatureC = temp;
    gpus.push(gpu);
  }
  return gpus;
}

export type RunCommand = (file: string, args: string[], timeoutMs: number) => Promise<string>;

/** How long after the timeout a command that will not die is given up on anyway. */
const GIVE_UP_GRACE_MS = 500;

/**
 * Runs a meter tool with a hard deadline. execFile's own timeout sends a signal and then
 * waits for the pipes to close, which a tool stuck in the kernel (nvidia-smi once a GPU has
 * fallen off the bus) or one whose children keep stdout open never gives: every job's
 * energy reading, and the scheduler's tick, would wait for ever. So the child is killed with
 * SIGKILL, and the answer is given up on shortly after the deadline whatever it does.
 */
export const runCommand: RunCommand = (file, args, timeoutMs) =>
  new Promise((resolve, reject) => {
    const child = execFile(file, args, { timeout: timeoutMs, killSignal: 'SIGKILL', encoding: 'utf8', maxBuffer: 1 << 20 }, (err, stdout) => {
      clearTimeout(giveUp);
      if (err) reject(err);
      else resolve(stdout);
    });
    const giveUp = setTimeout(() => {
      child.kill('SIGKILL');
      child.stdout?.destroy();
      child.stderr?.destroy();
      reject(new Error(`${file} gave no answer within ${timeoutMs} ms and did not exit when killed; given up`));
    }, timeoutMs + GIVE_UP_GRACE_MS);
  });

/** GPUs reported by nvidia-smi; [] when it is absent (ENOENT) or fails. */
export async function queryNvidiaGpus(run: RunCommand = runCommand): Promise<{ gpus: NvidiaGpu[]; error?: string }> {
  try {
    return { gpus: parseNvidiaSmiCsv(await run('nvidia-smi', [`--query-gpu=${FIELDS}`, '--format=csv,noheader,nounits'], 3000)) };
  } catch (err) {
    return { gpus: [], error: (err as Error).message };
  }
}

/** Sum of the GPUs' power draw, as a meter (instantaneous watts). */
export class NvmlMeter implements PowerMeter {
  readonly kind = 'nvml' as const;
  readonly name = 'nvidia-smi power.draw';

  constructor(
    private readonly run: RunCommand = runCommand,
    private readonly clock: () => number = Date.now,
  ) {}

  async read(): Promise<MeterReading> {
    const atMs = this.clock();
    const { gpus, error } = await queryNvidiaGpus(this.run);
    if (error) return { ok: false, atMs, reason: `nvidia-smi: ${error}` };
    const draws = gpus.map((g) => g.powerDrawW).filter((w): w is number => w !== undefined);
    if (draws.length === 0) return { ok: false, atMs, reason: 'nvidia-smi reports no power.draw' };
    return { ok: true, atMs, watts: draws.reduce((a, b) => a + b, 0) };
  }
}

export function nvmlInfo(gpus: NvidiaGpu[]): MeterInfo | undefined {
  if (gpus.length === 0) return undefined;
  const draws = gpus.map((g) => g.powerDrawW).filter((w): w is number => w !== undefined);
  return draws.length > 0
    ? { kind: 'nvml', name: 'nvidia-smi power.draw', readable: true, watts: draws.reduce((a, b) => a + b, 0) }
    : { kind: 'nvml', name: 'nvidia-smi power.draw', readable: false, note: 'power.draw not supported by this board' };
}
