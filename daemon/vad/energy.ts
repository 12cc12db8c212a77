import { SampleWindow } from '../audio/sample-window.js';
import type { VoiceDetector } from './types.js';

/**
 * Energy + zero-crossing-rate voice detector, for boxes too old for ONNX and as the fallback
 * when Silero cannot load. 25 ms frames every 10 ms; each frame's log energy is compared
 * with an adaptive noise floor, the minimum of the smoothed energy over the last few
 * seconds (R. Martin, "Noise power spectral density estimation based on optimal smoothing
 * and minimum statistics", IEEE TSAP 2001, simplified to one band). The zero-crossing rate
 * separates hum (very few crossings) from fricatives (many crossings at low energy).
 */

const FRAME = 400; // 25 ms at 16 kHz
const HOP = 160; // 10 ms
/** The frame of hop k starts this many samples before the hop, so it is centred on it. */
const LEAD = (FRAME - HOP) / 2;
/** Noise-floor memory: long enough to span a sentence, short enough to follow a fan switching on. */
const FLOOR_WINDOW_HOPS = 400;
/** Floor assumed until one window has been seen, so that speech at the very start still counts. */
const PRIOR_FLOOR_DB = -50;
/** Digital silence would give -infinity; anything below this is treated as this. */
const MIN_DB = -90;
/** SNR (dB above the floor) that maps to probability 0.5, and the slope of the mapping. */
const SNR_MID_DB = 9;
const SNR_SLOPE_DB = 2;
const PRE_EMPHASIS = 0.97;
/** Half a second whose energy varies by less than STEADY_DB (standard deviation) is steady background. */
const STEADY_HOPS = 50;
const STEADY_DB = 1.5;

export class EnergyDetector implements VoiceDetector {
  readonly name = 'energy' as const;
  readonly hopSamples = HOP;
  /** Recent samples; a stream starts with LEAD zeros so that the first frame is centred on hop 0. */
  private readonly window = new SampleWindow(FRAME * 8);
  private nextHop = 0;
  /** Absolute index one past the last real (not padding) sample. */
  private realEnd = 0;
  /** Recent smoothed energies for the moving minimum (monotonic deque of [hop, dB]). */
  private minHops: number[] = [];
  private minVals: number[] = [];
  private smooth: number[] = [];
  /** The last STEADY_HOPS smoothed energies, with running sums for their mean and spread. */
  private recent: number[] = [];
  private recentSum = 0;
  private recentSumSq = 0;

  constructor() {
    this.clearWindow();
  }

  private clearWindow(): void {
    this.window.clear(-LEAD);
    this.window.append(new Float32Array(LEAD));
  }

  async process(samples: Float32Array): Promise<Float32Array> {
    return this.decide(samples, false);
  }

  async flush(): Promise<Float32Array> {
    // Zero-pad so that the last partial hop has a whole frame around it.
    const out = this.decide(new Float32Array(FRAME), true);
    this.reset();
    return out;
  }

  reset(): void {
    this.clearWindow();
    this.nextHop = 0;
    this.realEnd = 0;
    this.minHops = [];
    this.minVals = [];
    this.smooth = [];
    this.recent = [];
    this.recentSum = 0;
    this.recentSumSq = 0;
  }

  async close(): Promise<void> {
    // Nothing native to free.
  }

  private decide(samples: Float32Array, final: boolean): Float32Array {
    if (!final) this.realEnd += samples.length;
    this.window.append(samples);
    const decisions: number[] = [];
    const available = this.window.end;
    // Hop k needs samples up to k*HOP - LEAD + FRAME; at the end, only hops that hold real samples.
    while (this.nextHop * HOP - LEAD + FRAME <= available && (!final || this.nextHop * HOP < this.realEnd)) {
      decisions.push(this.hopProbability(this.nextHop));
      this.nextHop++;
    }
    this.window.dropBefore(this.nextHop * HOP - LEAD);
    return Float32Array.from(decisions);
  }

  private hopProbability(hop: number): number {
    const start = hop * HOP - LEAD - this.window.start;
    const buf = this.window.data;
    let energy = 0;
    let crossings = 0;
    // Remove DC per frame so an offset does not hide crossings.
    let mean = 0;
    for (let i = 0; i < FRAME; i++) mean += buf[start + i]!;
    mean /= FRAME;
    let prev = buf[start]! - mean;
    for (let i = 1; i < FRAME; i++) {
      const x = buf[start + i]! - mean;
      // Energy of the pre-emphasised signal (x[n] - 0.97 x[n-1], the usual speech
      // front end): it damps hum and rumble below ~200 Hz by 20-30 dB against speech.
      const y = x - PRE_EMPHASIS * prev;
      energy += y * y;
      if ((x >= 0) !== (prev >= 0)) crossings++;
      prev = x;
    }
    const db = Math.max(MIN_DB, 10 * Math.log10(energy / (FRAME - 1) + 1e-12));
    const zcr = crossings / FRAME;
    const floor = this.updateFloor(hop, db);
    let snr = db - floor;
    // Very few crossings means the frame is dominated by hum or rumble (< ~150 Hz);
    // voiced speech always adds formants above that.
    if (zcr < 0.02) snr -= 6;
    // Fricatives (s, f, sh) are quiet but noisy-fast; give them credit when above the floor.
    else if (zcr > 0.25 && snr > 4) snr += 4;
    return 1 / (1 + Math.exp(-(snr - SNR_MID_DB) / SNR_SLOPE_DB));
  }

  /** Moving minimum of the 3-hop smoothed energy; smoothing removes the downward bias of single noise frames. */
  private updateFloor(hop: number, db: number): number {
    this.smooth.push(db);
    if (this.smooth.length > 3) this.smooth.shift();
    const smoothed = this.smooth.reduce((a, b) => a + b, 0) / this.smooth.length;
    while (this.minVals.length > 0 && this.minVals[this.minVals.length - 1]! >= smoothed) {
      this.minVals.pop();
      this.minHops.pop();
    }
    this.minVals.push(smoothed);
    this.minHops.push(hop);
    while (this.minHops[0]! <= hop - FLOOR_WINDOW_HOPS) {
      this.minHops.shift();
      this.minVals.shift();
    }
    const windowMin = this.minVals[0]!;
    let floor = hop < FLOOR_WINDOW_HOPS ? Math.min(windowMin, PRIOR_FLOOR_DB) : windowMin;
    // A steady sound (a fan, an engine) varies by a decibel or two; speech swings by tens of
    // decibels at the syllable rate. Once the recent energy has been that steady for half a
    // second, it is background: the floor follows it now instead of seconds later.
    this.recent.push(smoothed);
    this.recentSum += smoothed;
    this.recentSumSq += smoothed * smoothed;
    if (this.recent.length > STEADY_HOPS) {
      const old = this.recent.shift()!;
      this.recentSum -= old;
      this.recentSumSq -= old * old;
    }
    if (this.recent.length === STEADY_HOPS) {
      const mean = this.recentSum / STEADY_HOPS;
      const variance = Math.max(0, this.recentSumSq / STEADY_HOPS - mean * mean);
      if (Math.sqrt(variance) < STEADY_DB) floor = Math.max(floor, Math.min(...this.recent));
    }
    return floor;
  }
}
