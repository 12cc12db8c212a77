import { bytesPerSample, type PcmEncoding, type PcmFormat } from '../../daemon/audio/types.js';

/** Encodes interleaved samples in [-1, 1] as little-endian PCM bytes (test input builder). */
export function encodePcm(samples: ArrayLike<number>, encoding: PcmEncoding): Buffer {
  const size = bytesPerSample(encoding);
  const out = Buffer.alloc(samples.length * size);
  const clamp = (v: number, max: number) => Math.max(-max, Math.min(max - 1, Math.round(v * max)));
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i]!;
    const o = i * size;
    switch (encoding) {
      case 'u8':
        out[o] = clamp(v, 128) + 128;
        break;
      case 's8':
        out.writeInt8(clamp(v, 128), o);
        break;
      case 's16le':
        out.writeInt16LE(clamp(v, 32768), o);
        break;
      case 's24le':
        out.writeIntLE(clamp(v, 8388608), o, 3);
        break;
      case 's32le':
        out.writeInt32LE(clamp(v, 2147483648), o);
        break;
      case 'f32le':
        out.writeFloatLE(v, o);
        break;
      case 'f64le':
        out.writeDoubleLE(v, o);
        break;
    }
  }
  return out;
}

/**
 * A WAV file around PCM data. `extensible` writes WAVE_FORMAT_EXTENSIBLE; `unknownSize`
 * writes 0xFFFFFFFF sizes as streaming writers (arecord to a pipe) do; `extraChunk` puts a
 * LIST chunk of odd length before the data to exercise chunk skipping and padding.
 */
export function makeWav(
  format: PcmFormat,
  data: Buffer,
  opts: { extensible?: boolean; unknownSize?: boolean; extraChunk?: boolean } = {},
): Buffer {
  const size = bytesPerSample(format.encoding);
  const isFloat = format.encoding === 'f32le' || format.encoding === 'f64le';
  const tag = isFloat ? 3 : 1;
  const fmt = Buffer.alloc(opts.extensible ? 40 : 16);
  fmt.writeUInt16LE(opts.extensible ? 0xfffe : tag, 0);
  fmt.writeUInt16LE(format.channels, 2);
  fmt.writeUInt32LE(format.sampleRate, 4);
  fmt.writeUInt32LE(format.sampleRate * size * format.channels, 8);
  fmt.writeUInt16LE(size * format.channels, 12);
  fmt.writeUInt16LE(size * 8, 14);
  if (opts.extensible) {
    fmt.writeUInt16LE(22, 16);
    fmt.writeUInt16LE(size * 8, 18);
    fmt.writeUInt32LE(0, 20);
    // Sub-format GUID: the format tag followed by the fixed KSDATAFORMAT suffix.
    Buffer.from('0000100080000000aa00389b71', 'hex').copy(fmt, 26);
    fmt.writeUInt16LE(tag, 24);
  }
  const chunk = (id: string, body: Buffer, sizeField = body.length) => {
    const head = Buffer.alloc(8);
    head.write(id, 0, 'latin1');
    head.writeUInt32LE(sizeField, 4);
    return Buffer.concat([head, body, body.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0)]);
  };
  const parts = [chunk('fmt ', fmt)];
  if (opts.extraChunk) parts.push(chunk('LIST', Buffer.from('INFOtest!', 'latin1')));
  parts.push(chunk('data', data, opts.unknownSize ? 0xffffffff : data.length));
  const body = Buffer.concat(parts);
  const riff = Buffer.alloc(12);
  riff.write('RIFF', 0, 'latin1');
  riff.writeUInt32LE(opts.unknownSize ? 0xffffffff : body.length + 4, 4);
  riff.write('WAVE', 8, 'latin1');
  return Buffer.concat([riff, body]);
}

/** `seconds` of a sine at `freq` Hz, interleaved over `channels` (channel c scaled by 1/(c+1)). */
export function sine(rate: number, freq: number, seconds: number, channels = 1, amp = 0.5): Float64Array {
  const n = Math.round(rate * seconds);
  const out = new Float64Array(n * channels);
  for (let i = 0; i < n; i++) {
    const v = amp * Math.sin((2 * Math.PI * freq * i) / rate);
    for (let c = 0; c < channels; c++) out[i * channels + c] = v / (c + 1);
  }
  return out;
}
