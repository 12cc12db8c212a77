/**
 * Canonical 44-byte WAV headers (RIFF/WAVE, one `fmt ` chunk of 16 bytes, then `data`), for
 * the files Earshot writes: saved live segments (float, exact samples), and generated audio
 * in tests and benchmarks (16-bit PCM, streamed without holding the data).
 */
export interface WavLayout {
  /** 1 = integer PCM, 3 = IEEE float. */
  format: 'pcm' | 'float';
  bitsPerSample: 16 | 32;
  sampleRate: number;
  channels: number;
  dataBytes: number;
}

export function wavHeader(layout: WavLayout): Buffer {
  const blockAlign = (layout.channels * layout.bitsPerSample) / 8;
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(36 + layout.dataBytes, 4);
  h.write('WAVEfmt ', 8, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(layout.format === 'float' ? 3 : 1, 20);
  h.writeUInt16LE(layout.channels, 22);
  h.writeUInt32LE(layout.sampleRate, 24);
  h.writeUInt32LE(layout.sampleRate * blockAlign, 28);
  h.writeUInt16LE(blockAlign, 32);
  h.writeUInt16LE(layout.bitsPerSample, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(layout.dataBytes, 40);
  return h;
}

/** A mono IEEE-float WAV holding exactly these samples. */
export function encodeFloatWav(samples: Float32Array, sampleRate: number): Buffer {
  const data = Buffer.from(samples.buffer, samples.byteOffset, samples.length * 4);
  return Buffer.concat([wavHeader({ format: 'float', bitsPerSample: 32, sampleRate, channels: 1, dataBytes: data.length }), data]);
}
