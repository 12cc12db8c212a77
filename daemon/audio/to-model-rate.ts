import { PcmDecoder } from './pcm-decoder.js';
import { Resampler } from './resampler.js';
import { MODEL_SAMPLE_RATE, type ChannelSelect, type PcmFormat } from './types.js';

/**
 * Bytes in any PCM format → mono samples at the model rate, chunk by chunk: the decoder
 * and the resampler both keep their state across chunks, so a stream can be fed in
 * whatever pieces it arrives in.
 */
export class PcmToModelRate {
  private readonly decoder: PcmDecoder;
  private readonly resampler: Resampler;

  constructor(format: PcmFormat, channel: ChannelSelect = 'mix', outRate = MODEL_SAMPLE_RATE) {
    this.decoder = new PcmDecoder(format, channel);
    this.resampler = new Resampler(format.sampleRate, outRate);
  }

  push(bytes: Buffer): Float32Array {
    return this.resampler.push(this.decoder.push(bytes));
  }

  /** The tail the resampler held back; call once at the end of the stream. */
  flush(): Float32Array {
    return this.resampler.flush();
  }

  /** Bytes that did not complete a frame (non-zero at the end means a truncated stream). */
  get pendingBytes(): number {
    return this.decoder.pendingBytes;
  }
}

/** Re-chunks a PCM byte stream into model-rate samples. */
export async function* bytesToModelRate(
  chunks: AsyncIterable<Buffer>,
  format: PcmFormat,
  channel: ChannelSelect = 'mix',
  outRate = MODEL_SAMPLE_RATE,
): AsyncGenerator<Float32Array> {
  const converter = new PcmToModelRate(format, channel, outRate);
  for await (const chunk of chunks) {
    const out = converter.push(chunk);
    if (out.length > 0) yield out;
  }
  const tail = converter.flush();
  if (tail.length > 0) yield tail;
}
