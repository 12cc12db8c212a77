import { createHash } from 'node:crypto';
import { SampleWindow } from '../audio/sample-window.js';
import { MODEL_SAMPLE_RATE } from '../audio/types.js';
import { extendOnset, trimOffset } from './boundary-refine.js';
import type { SegmenterSettings } from './sensitivity.js';
import type { SpeechSegment } from './types.js';

/**
 * The speech open right now, for live partial transcripts: where it starts (pre-padding
 * included) and an id fixed when it began, which the segment carries as `speechId` when it
 * closes. Samples are copied only when asked for, not on every push.
 */
export interface OpenSpeech {
  /** Same as the closed segment's `speechId`. */
  id: string;
  sourceId: string;
  /** Seconds from the start of the source, pre-padding included. */
  startSec: number;
  /** ISO 8601 wall-clock time of `startSec`. */
  startedAt: string;
  /** Samples held from the start up to now. */
  length: number;
  /** A copy of samples [from, length) counted from the start. */
  copyFrom(from: number): Float32Array;
}

/**
 * Turns per-hop speech probabilities into speech segments: hysteresis on the threshold
 * (speech starts at `threshold`, ends below `threshold - 0.15`, as Silero VAD's own
 * reference code does), minimum speech and silence durations, padding on both sides, and a
 * maximum length enforced by cutting at the quietest hop of the segment's second half.
 *
 * The segmenter keeps the audio itself (only what an open or pending segment may still
 * need), so segments carry their samples and exact positions in the source's timeline.
 * It is synchronous and does no I/O: feed it audio with `pushAudio`, then the detector's
 * probabilities for that audio with `pushDecisions`.
 */

/** Hysteresis gap between the start and the end threshold. */
const HYSTERESIS = 0.15;
/**
 * Boundary refinement (boundary-refine.ts): how far a start may move back, how far an end
 * may be trimmed (a model's probability lingers longer after speech than it lags before
 * it), and how much audio before a start shows the noise floor.
 */
const REFINE_MAX = 3200; // 200 ms
const TRIM_MAX = 6400; // 400 ms
const LOOKBACK = 4800; // 300 ms

interface Range {
  start: number;
  end: number;
  /** False for the first part of a split: the next part follows without a gap. */
  padEnd: boolean;
}

export class Segmenter {
  private readonly sr = MODEL_SAMPLE_RATE;
  private readonly pad: number;
  private readonly minSpeech: number;
  private readonly minSilence: number;
  private readonly maxSpeech: number;
  private readonly negThreshold: number;

  // Audio held, in sample indices relative to `origin` (the source sample of the first push).
  private origin: number | null = null;
  private readonly audio = new SampleWindow(MODEL_SAMPLE_RATE);
  /** (index, wall-clock ms) of pushes, to time any sample even across clock jumps. */
  private anchors: Array<{ index: number; wallMs: number }> = [];

  private hop = 0;
  private triggered = false;
  private segStart = 0;
  private silenceStart: number | null = null;
  /** End of the last hop at or above the threshold: where the speech itself stopped. */
  private lastSpeechEnd = 0;
  private pending: Range[] = [];
  private lastEmittedEnd = 0;

  constructor(
    private readonly sourceId: string,
    private readonly hopSamples: number,
    private readonly settings: SegmenterSettings,
  ) {
    const ms = this.sr / 1000;
    this.pad = Math.round(settings.padMs * ms);
    this.minSpeech = Math.round(settings.minSpeechMs * ms);
    this.minSilence = Math.round(settings.minSilenceMs * ms);
    // The limit is on the padded segment; leave room for both pads, and at least one hop.
    this.maxSpeech = Math.max(hopSamples * 2, Math.round(settings.maxSegmentSec * this.sr) - 2 * this.pad);
    this.negThreshold = Math.max(0.01, settings.threshold - HYSTERESIS);
  }

  /** Appends audio; `startSample` is its position in the source timeline (used on the first push after a reset). */
  pushAudio(samples: Float32Array, startSample: number, wallTimeMs: number): void {
    if (this.origin === null) this.origin = startSample;
    this.anchors.push({ index: this.audio.end, wallMs: wallTimeMs });
    this.audio.append(samples);
  }

  /** Consumes the detector's probabilities for the next hops; returns segments now complete. */
  pushDecisions(probabilities: Float32Array): SpeechSegment[] {
    const h = this.hopSamples;
    for (const p of probabilities) {
      const hopStart = this.hop * h;
      const hopEnd = hopStart + h;
      this.hop++;
      if (!this.triggered) {
        if (p >= this.settings.threshold) {
          this.triggered = true;
          // Never reach back into audio already emitted.
          this.segStart = Math.max(extendOnset(this.audio, hopStart, LOOKBACK, REFINE_MAX), this.lastEmittedEnd, this.pendingEnd());
          this.silenceStart = null;
          this.lastSpeechEnd = hopEnd;
        }
        continue;
      }
      if (p >= this.settings.threshold) {
        this.silenceStart = null;
        this.lastSpeechEnd = hopEnd;
      } else if (p < this.negThreshold) {
        this.silenceStart ??= hopStart;
        if (hopEnd - this.silenceStart >= this.minSilence) {
          // The hysteresis decides *that* the speech ended; it ended where the probability
          // last stood at the threshold (a model's probability decays slowly after speech).
          const end = Math.min(this.lastSpeechEnd, this.silenceStart);
          this.close(this.segStart, trimOffset(this.audio, this.segStart, end, hopEnd, this.minSpeech, TRIM_MAX), true);
          this.triggered = false;
          continue;
        }
      }
      if (hopEnd - this.segStart >= this.maxSpeech) this.split(hopEnd);
    }
    return this.emitReady(false);
  }

  /** The speech open now (null when none), as it would start if it closed now. */
  openSpeech(): OpenSpeech | null {
    if (!this.triggered) return null;
    const last = this.pending[this.pending.length - 1];
    const pendingEnd = last ? (last.padEnd ? last.end + this.pad : last.end) : 0;
    const start = Math.max(this.segStart - this.pad, this.lastEmittedEnd, pendingEnd, this.audio.start, 0);
    const end = this.audio.end;
    const origin = this.origin ?? 0;
    return {
      id: this.speechId(this.segStart),
      sourceId: this.sourceId,
      startSec: (origin + start) / this.sr,
      startedAt: new Date(this.wallTime(start)).toISOString(),
      length: end - start,
      copyFrom: (from) => this.audio.copy(start + Math.min(Math.max(0, from), end - start), end),
    };
  }

  /** The stream ended (or broke): closes any open segment at the last audio and returns the rest. */
  end(): SpeechSegment[] {
    const audioEnd = this.audio.end;
    if (this.triggered) {
      const end = Math.min(this.lastSpeechEnd, audioEnd);
      this.close(this.segStart, end, true);
    }
    const out = this.emitReady(true);
    this.origin = null;
    this.audio.clear();
    this.anchors = [];
    this.hop = 0;
    this.triggered = false;
    this.silenceStart = null;
    this.pending = [];
    this.lastEmittedEnd = 0;
    return out;
  }

  /** End of the last segment waiting for its post-padding, or 0. */
  private pendingEnd(): number {
    return this.pending.length > 0 ? this.pending[this.pending.length - 1]!.end : 0;
  }

  private close(start: number, end: number, padEnd: boolean): void {
    if (end - start < this.minSpeech && padEnd) return;
    this.pending.push({ start, end, padEnd });
  }

  /**
   * Cuts the open segment at its quietest hop in the second half (the middle of the quietest
   * run when several hops tie, e.g. a pause) and keeps going from there.
   */
  private split(now: number): void {
    const h = this.hopSamples;
    const from = this.segStart + Math.floor(this.maxSpeech / 2 / h) * h;
    let best = now - h;
    let bestRunEnd = now;
    let bestEnergy = Number.POSITIVE_INFINITY;
    let inBestRun = false;
    for (let s = from; s + h <= now; s += h) {
      let e = 0;
      const buf = this.audio.data;
      const base = s - this.audio.start;
      for (let i = Math.max(0, base); i < Math.min(base + h, this.audio.length); i++) e += buf[i]! * buf[i]!;
      if (e < bestEnergy) {
        bestEnergy = e;
        best = s;
        bestRunEnd = s + h;
        inBestRun = true;
      } else if (e === bestEnergy && inBestRun) {
        bestRunEnd = s + h;
      } else {
        inBestRun = false;
      }
    }
    const cut = Math.min(best + Math.floor((bestRunEnd - best) / 2), now);
    this.close(this.segStart, cut, false);
    this.segStart = cut;
  }

  private emitReady(final: boolean): SpeechSegment[] {
    const audioEnd = this.audio.end;
    const out: SpeechSegment[] = [];
    while (this.pending.length > 0) {
      const r = this.pending[0]!;
      const wantEnd = r.padEnd ? r.end + this.pad : r.end;
      if (wantEnd > audioEnd && !final) break;
      this.pending.shift();
      const start = Math.max(r.start - this.pad, this.lastEmittedEnd, this.audio.start, 0);
      const end = Math.min(wantEnd, audioEnd);
      if (end <= start) continue;
      this.lastEmittedEnd = end;
      out.push({ ...this.segment(start, end), speechId: this.speechId(r.start) });
    }
    this.trim();
    return out;
  }

  private segment(start: number, end: number): SpeechSegment {
    const origin = this.origin ?? 0;
    return {
      sourceId: this.sourceId,
      startSec: (origin + start) / this.sr,
      endSec: (origin + end) / this.sr,
      startedAt: new Date(this.wallTime(start)).toISOString(),
      sampleRate: MODEL_SAMPLE_RATE,
      samples: this.audio.copy(start, end),
    };
  }

  /**
   * Id of the speech that began at `index` (before padding): known from its first hop, so
   * live partials name the same id as the segment that closes it. The wall time keeps ids
   * apart when a reconnecting source starts its sample count again.
   */
  private speechId(index: number): string {
    const at = new Date(this.wallTime(index)).toISOString();
    const key = `${this.sourceId}\0${at}\0${(((this.origin ?? 0) + index) / this.sr).toFixed(4)}`;
    return `s-${createHash('sha256').update(key).digest('hex').slice(0, 24)}`;
  }

  private wallTime(index: number): number {
    let anchor = this.anchors[0] ?? { index: 0, wallMs: Date.now() };
    for (const a of this.anchors) {
      if (a.index > index) break;
      anchor = a;
    }
    return anchor.wallMs + ((index - anchor.index) * 1000) / this.sr;
  }

  /** Drops audio no open or pending segment can still need (pre-padding included). */
  private trim(): void {
    let need = this.triggered ? this.segStart : this.hop * this.hopSamples;
    if (this.pending.length > 0) need = Math.min(need, this.pending[0]!.start);
    // A pre-pad never reaches back over audio already emitted, so that part can go too.
    need = Math.max(need - Math.max(this.pad, LOOKBACK + REFINE_MAX), this.lastEmittedEnd);
    if (need <= this.audio.start) return;
    this.audio.dropBefore(need);
    // Keep the last anchor at or before the new start, so every held sample can be timed.
    let keep = 0;
    while (keep + 1 < this.anchors.length && this.anchors[keep + 1]!.index <= this.audio.start) keep++;
    if (keep > 0) this.anchors.splice(0, keep);
  }
}
