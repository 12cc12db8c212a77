import type { PolyphaseEngine } from './resampler-engine.js';
import { ScalarPolyphase } from './resampler-scalar.js';
import { polyphaseTable, type FilterDesign } from './resampler-table.js';
import { WasmPolyphase, wasmSimdAvailable } from './resampler-wasm.js';

/**
 * Streaming band-limited resampler: windowed-sinc interpolation with a Kaiser window,
 * evaluated through a polyphase table (J. O. Smith, "Digital Audio Resampling Home Page",
 * https://ccrma.stanford.edu/~jos/resample/; Kaiser window design formulas from
 * Oppenheim & Schafer, "Discrete-Time Signal Processing", §7.5.3).
 *
 * Output sample n sits exactly at input time n * inRate / outRate (no group delay), so
 * timestamps computed from output sample counts match the source's timeline.
 */

export interface ResamplerOptions {
  /** Stopband attenuation in dB; 80 keeps aliases well under the -60 dB target. */
  attenuationDb?: number;
  /**
   * Width of the transition band as a fraction of the lower Nyquist frequency: the passband
   * ends at (1 - width) of it and the stopband starts at the lower Nyquist itself, so
   * nothing that would fold back below the output Nyquist gets through.
   */
  transitionWidth?: number;
}

export class Resampler {
  readonly inRate: number;
  readonly outRate: number;
  private readonly design: FilterDesign;
  private readonly passthrough: boolean;
  /** Built on first use: the shared filter table and this stream's history and position. */
  private engine: PolyphaseEngine | null = null;
  private inputSeen = 0;
  private outputMade = 0;
  private ended = false;

  constructor(inRate: number, outRate: number, options: ResamplerOptions = {}) {
    if (!(inRate > 0 && Number.isInteger(inRate)) || !(outRate > 0 && Number.isInteger(outRate))) {
      throw new Error(`Resampler: sample rates must be positive integers, got ${inRate} -> ${outRate}`);
    }
    this.inRate = inRate;
    this.outRate = outRate;
    this.design = { attenuationDb: options.attenuationDb ?? 80, transitionWidth: options.transitionWidth ?? 0.1 };
    this.passthrough = inRate === outRate;
  }

  /** Filter taps per output sample (a measure of cost). */
  get tapsPerOutput(): number {
    return this.passthrough ? 0 : polyphaseTable(this.inRate, this.outRate, this.design).half * 2;
  }

  /** Resamples one chunk; returns what can be computed so far (the filter looks `half` samples ahead). */
  push(input: Float32Array): Float32Array {
    if (this.ended) throw new Error('Resampler: push() after flush()');
    this.inputSeen += input.length;
    if (this.passthrough) {
      this.outputMade += input.length;
      return input;
    }
    const out = this.core().process(input, Number.POSITIVE_INFINITY);
    this.outputMade += out.length;
    return out;
  }

  /** Ends the stream: pads with silence and returns the last samples, so that the total is ceil(inputs * out/in). */
  flush(): Float32Array {
    if (this.ended) return new Float32Array(0);
    this.ended = true;
    if (this.passthrough) return new Float32Array(0);
    const core = this.core();
    const limit = Math.ceil((this.inputSeen * this.outRate) / this.inRate) - this.outputMade;
    const out = core.process(new Float32Array(polyphaseTable(this.inRate, this.outRate, this.design).half + 1), limit);
    this.outputMade += out.length;
    return out;
  }

  private core(): PolyphaseEngine {
    if (this.engine === null) {
      const table = polyphaseTable(this.inRate, this.outRate, this.design);
      // The vector engine where the runtime has WebAssembly SIMD (every Node 20 build we ship on).
      this.engine = wasmSimdAvailable() ? new WasmPolyphase(table) : new ScalarPolyphase(table);
    }
    return this.engine;
  }
}
