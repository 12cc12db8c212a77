import { SampleWindow } from './sample-window.js';
import { outputRoom, type PolyphaseEngine } from './resampler-engine.js';
import type { PolyphaseTable } from './resampler-table.js';

/**
 * Plain TypeScript polyphase engine: the fallback where WebAssembly SIMD is missing, and
 * the double-precision reference the vector engine is tested against.
 */
export class ScalarPolyphase implements PolyphaseEngine {
  private readonly table: PolyphaseTable;
  /** Input not yet fully used, with `half` samples of history before the next position. */
  private readonly input: SampleWindow;
  /** Next output position = (posInt + posFrac / phases) in input samples. */
  private posInt = 0;
  private posFrac = 0;

  constructor(table: PolyphaseTable) {
    this.table = table;
    // Starts with `half` zeros: the signal is silent before its first sample.
    this.input = new SampleWindow(table.half * 4 + 1024, -table.half);
    this.input.append(new Float32Array(table.half));
  }

  process(input: Float32Array, limit: number): Float32Array {
    this.input.append(input);
    const { half, phases, stepWhole, stepFrac, stride, coefficients } = this.table;
    const taps = half * 2;
    const lastIndex = this.input.end - 1;
    const out = new Float32Array(Math.min(limit, outputRoom(this.table, lastIndex, this.posInt)));
    const buf = this.input.data;
    const bufStart = this.input.start;
    // Locals in the hot loop: property reads per sample cost more than the arithmetic.
    let posInt = this.posInt;
    let posFrac = this.posFrac;
    let n = 0;
    while (n < out.length && posInt + half <= lastIndex) {
      const base = posInt - half + 1 - bufStart;
      const row = Math.floor(posFrac) * stride;
      let acc = 0;
      for (let k = 0; k < taps; k++) acc += buf[base + k]! * coefficients[row + k]!;
      out[n++] = acc;
      posInt += stepWhole;
      posFrac += stepFrac;
      if (posFrac >= phases) {
        posInt += 1;
        posFrac -= phases;
      }
    }
    this.posInt = posInt;
    this.posFrac = posFrac;
    // Keep `half - 1` samples of history before the next position.
    this.input.dropBefore(posInt - half + 1);
    return n === out.length ? out : out.subarray(0, n);
  }
}
