import { readFile, writeFile } from 'node:fs/promises';
import type { JobRecord } from '../../../daemon/scheduler/job-queue.js';
import type { ModelRuntime, RunOptions } from '../../../daemon/scheduler/model-lifecycle.js';
import { JobInterrupted } from '../../../daemon/scheduler/job-interrupted.js';

/**
 * A ModelRuntime that does real work on real files, for scheduler tests: "loading" builds a
 * 400×32 projection matrix (its memory is the resident size), "running" reads a 16-bit PCM
 * WAV, projects every 25 ms frame and reports the frames whose energy is above a threshold
 * as segments. `minRunMs` keeps a job busy (repeating the projection) long enough to be
 * killed or stopped in the middle of it; a stop's signal ends it between passes.
 */
export interface FrameResult {
  segments: Array<{ startSec: number; endSec: number; text: string }>;
  frames: number;
  threads: number;
}

export class FrameEnergyRuntime implements ModelRuntime<FrameResult> {
  private weights: Float32Array | undefined;
  loadCount = 0;
  unloadCount = 0;
  /** The thread count of each load, in order. */
  readonly loadThreads: number[] = [];

  /**
   * How long a run goes on after it is asked to stop, as a real job finishing the batch it
   * is in before its safe point. May be changed between jobs.
   */
  stopLagMs = 0;

  /** `minRunMs` may be changed between jobs. */
  constructor(public minRunMs = 0, private readonly onStart?: (job: JobRecord) => void) {}

  async load(threads = 1): Promise<void> {
    this.loadThreads.push(threads);
    const w = new Float32Array(400 * 32);
    let seed = 12345;
    for (let i = 0; i < w.length; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      w[i] = (seed / 2 ** 32 - 0.5) / 10;
    }
    this.weights = w;
    this.loadCount++;
  }

  async unload(): Promise<void> {
    this.weights = undefined;
    this.unloadCount++;
  }

  loaded(): boolean {
    return this.weights !== undefined;
  }

  device(): string {
    return 'cpu';
  }

  residentBytes(): number {
    return this.weights?.byteLength ?? 0;
  }

  async run(job: JobRecord, options: RunOptions): Promise<FrameResult> {
    const w = this.weights;
    if (!w) throw new Error('model not loaded');
    this.onStart?.(job);
    const buf = await readFile(job.input);
    if (buf.length < 44 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') throw new Error(`${job.input}: not a WAV file`);
    const pcm = new Int16Array(buf.buffer.slice(buf.byteOffset + 44, buf.byteOffset + buf.length - ((buf.length - 44) % 2)));
    const started = Date.now();
    let askedToStopAt: number | undefined;
    let loud: boolean[] = [];
    do {
      loud = [];
      for (let f = 0; f + 400 <= pcm.length; f += 400) {
        let energy = 0;
        for (let k = 0; k < 32; k++) {
          let acc = 0;
          for (let i = 0; i < 400; i++) acc += ((pcm[f + i] ?? 0) / 32768) * (w[i * 32 + k] ?? 0);
          energy += acc * acc;
        }
        loud.push(energy > 1e-3);
      }
      // Yield between passes so the event loop (and a SIGKILL test's timers) keep running.
      await new Promise((r) => setImmediate(r));
      // Between passes is this runtime's safe point: a stop past its grace ends the run here.
      if (options.signal?.aborted) {
        askedToStopAt ??= Date.now();
        if (Date.now() - askedToStopAt >= this.stopLagMs) throw new JobInterrupted(job.id, 0);
      }
    } while (Date.now() - started < this.minRunMs);
    const segments: FrameResult['segments'] = [];
    for (let i = 0; i < loud.length; i++) {
      if (!loud[i]) continue;
      const start = i;
      while (i < loud.length && loud[i]) i++;
      segments.push({ startSec: (start * 400) / 16000, endSec: (i * 400) / 16000, text: `tone ${segments.length + 1}` });
    }
    return { segments, frames: loud.length, threads: options.threads };
  }
}

/** A 16 kHz mono 16-bit WAV with tone bursts at the given [start, end) seconds. */
export async function writeToneWav(path: string, seconds: number, bursts: Array<[number, number]>): Promise<void> {
  const n = Math.round(seconds * 16000);
  const data = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i++) {
    const t = i / 16000;
    const on = bursts.some(([a, b]) => t >= a && t < b);
    data.writeInt16LE(on ? Math.round(12000 * Math.sin(2 * Math.PI * 440 * t)) : 0, i * 2);
  }
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(16000, 24);
  h.writeUInt32LE(32000, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(data.length, 40);
  await writeFile(path, Buffer.concat([h, data]));
}
