/**
 * A sliding window over a sample stream: append at the end, drop from the front, address
 * samples by their absolute index in the stream. The resampler, the detectors and the
 * segmenter all hold "the recent part of the stream" this way, in bounded memory.
 */
export class SampleWindow {
  private buf: Float32Array;
  private len = 0;
  private first: number;

  constructor(capacity: number, firstIndex = 0) {
    this.buf = new Float32Array(capacity);
    this.first = firstIndex;
  }

  /** Absolute index of the first held sample. */
  get start(): number {
    return this.first;
  }

  /** Absolute index one past the last held sample. */
  get end(): number {
    return this.first + this.len;
  }

  get length(): number {
    return this.len;
  }

  /**
   * The backing array (valid until the next append or drop): sample `i` is at
   * `data[i - start]`. For hot loops that cannot afford a call per sample.
   */
  get data(): Float32Array {
    return this.buf;
  }

  append(samples: Float32Array): void {
    if (this.len + samples.length > this.buf.length) {
      const grown = new Float32Array(Math.max(this.buf.length * 2, this.len + samples.length));
      grown.set(this.buf.subarray(0, this.len));
      this.buf = grown;
    }
    this.buf.set(samples, this.len);
    this.len += samples.length;
  }

  /** Forgets every sample before absolute index `index`. */
  dropBefore(index: number): void {
    const n = Math.min(index - this.first, this.len);
    if (n <= 0) return;
    this.buf.copyWithin(0, n, this.len);
    this.len -= n;
    this.first += n;
  }

  /** A copy of samples [from, to) in absolute indices. */
  copy(from: number, to: number): Float32Array {
    return this.buf.slice(from - this.first, to - this.first);
  }

  /** Empties the window; the next sample appended gets index `firstIndex`. */
  clear(firstIndex = 0): void {
    this.len = 0;
    this.first = firstIndex;
  }
}
