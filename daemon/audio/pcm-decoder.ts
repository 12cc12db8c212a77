import { bytesPerSample, type ChannelSelect, type PcmFormat } from './types.js';

/**
 * Turns interleaved little-endian PCM bytes into mono float samples in [-1, 1), one chunk
 * at a time. Bytes that do not complete a frame (all channels of one sample instant) are
 * kept for the next chunk, so a stream may be cut anywhere.
 */
export class PcmDecoder {
  private readonly frameBytes: number;
  private readonly sampleBytes: number;
  private carry: Buffer = Buffer.alloc(0);

  constructor(
    private readonly format: PcmFormat,
    private readonly channel: ChannelSelect = 'mix',
  ) {
    checkChannel(format, channel);
    this.sampleBytes = bytesPerSample(format.encoding);
    this.frameBytes = this.sampleBytes * format.channels;
  }

  /** Decodes as many whole frames as `chunk` (plus earlier leftovers) holds. */
  push(chunk: Buffer): Float32Array {
    const data = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    const frames = Math.floor(data.length / this.frameBytes);
    const used = frames * this.frameBytes;
    // Copy the leftover: `data` may be a pooled buffer that the stream reuses.
    this.carry = used < data.length ? Buffer.from(data.subarray(used)) : Buffer.alloc(0);
    return this.decodeFrames(data, frames);
  }

  /** Bytes held back because they did not complete a frame (a truncated file ends with some). */
  get pendingBytes(): number {
    return this.carry.length;
  }

  private decodeFrames(data: Buffer, frames: number): Float32Array {
    const out = new Float32Array(frames);
    const channels = this.format.channels;
    const read = sampleReader(this.format.encoding, data);
    if (this.channel === 'mix') {
      const scale = 1 / channels;
      for (let f = 0; f < frames; f++) {
        const base = f * this.frameBytes;
        let sum = 0;
        for (let c = 0; c < channels; c++) sum += read(base + c * this.sampleBytes);
        out[f] = sum * scale;
      }
    } else {
      const offset = this.channel * this.sampleBytes;
      for (let f = 0; f < frames; f++) out[f] = read(f * this.frameBytes + offset);
    }
    return out;
  }
}

/** Throws a clear error when `channel` cannot be taken from audio in `format`. */
export function checkChannel(format: PcmFormat, channel: ChannelSelect): void {
  if (!Number.isInteger(format.channels) || format.channels < 1) {
    throw new Error(`PCM format: channels must be a positive integer, got ${format.channels}`);
  }
  if (typeof channel === 'number' && (!Number.isInteger(channel) || channel < 0 || channel >= format.channels)) {
    throw new Error(
      `PCM format: channel ${channel} does not exist; the audio has ${format.channels} channel(s), choose 0..${format.channels - 1} or "mix"`,
    );
  }
}

/** A reader of one sample at a byte offset, scaled to [-1, 1). */
function sampleReader(encoding: PcmFormat['encoding'], b: Buffer): (offset: number) => number {
  switch (encoding) {
    case 'u8':
      return (o) => (b[o]! - 128) / 128;
    case 's8':
      return (o) => b.readInt8(o) / 128;
    case 's16le':
      return (o) => b.readInt16LE(o) / 32768;
    case 's24le':
      // Sign-extend the 24-bit value through the top byte.
      return (o) => (b[o]! | (b[o + 1]! << 8) | (b.readInt8(o + 2) << 16)) / 8388608;
    case 's32le':
      return (o) => b.readInt32LE(o) / 2147483648;
    case 'f32le':
      return (o) => finite(b.readFloatLE(o));
    case 'f64le':
      return (o) => finite(b.readDoubleLE(o));
  }
}

/** NaN/Inf in float audio is corruption; passed on, it would silence VAD and the file would vanish as "no speech". */
function finite(x: number): number {
  if (!Number.isFinite(x)) throw new Error(`a float sample is ${x}; the audio data is corrupt (NaN/Inf)`);
  return x;
}
