/**
 * Minimal RIFF/WAVE reader for the ASR engine's own tests (the transcribe command and the
 * daemon decode files with audio/decode-file.ts):
 * PCM 8/16/24/32-bit and IEEE float 32/64, any channel count (averaged to mono).
 * Resampling is not done here; callers hand 16 kHz audio to the recognizer.
 */
import { readFileSync } from 'node:fs';
import { wavContainer } from '../audio/wav-header.js';

export interface DecodedAudio {
  samples: Float32Array;
  sampleRate: number;
}

export function decodeWav(buf: Buffer, where = 'WAV data'): DecodedAudio {
  if (wavContainer(buf) !== 'RIFF') {
    throw new Error(`${where}: not a RIFF/WAVE file (missing RIFF....WAVE header)`);
  }
  let pos = 12;
  let format = 0;
  let channels = 0;
  let sampleRate = 0;
  let bits = 0;
  let data: Buffer | undefined;
  while (pos + 8 <= buf.length) {
    const id = buf.toString('latin1', pos, pos + 4);
    const size = buf.readUInt32LE(pos + 4);
    const body = buf.subarray(pos + 8, Math.min(buf.length, pos + 8 + size));
    if (id === 'fmt ') {
      format = body.readUInt16LE(0);
      channels = body.readUInt16LE(2);
      sampleRate = body.readUInt32LE(4);
      bits = body.readUInt16LE(14);
      // WAVE_FORMAT_EXTENSIBLE: the real format code is the first two bytes of the sub-format GUID.
      if (format === 0xfffe && body.length >= 26) format = body.readUInt16LE(24);
    } else if (id === 'data') {
      data = body;
    }
    pos += 8 + size + (size & 1);
  }
  if (!channels || !sampleRate) throw new Error(`${where}: no 'fmt ' chunk`);
  if (!data) throw new Error(`${where}: no 'data' chunk`);
  const bytes = bits / 8;
  const frameBytes = bytes * channels;
  const n = Math.floor(data.length / frameBytes);
  const read = sampleReader(format, bits, where);
  const samples = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let acc = 0;
    for (let c = 0; c < channels; c++) acc += read(data, i * frameBytes + c * bytes);
    samples[i] = acc / channels;
  }
  return { samples, sampleRate };
}

function sampleReader(format: number, bits: number, where: string): (b: Buffer, at: number) => number {
  if (format === 1) {
    if (bits === 8) return (b, at) => (b[at]! - 128) / 128;
    if (bits === 16) return (b, at) => b.readInt16LE(at) / 32768;
    if (bits === 24) return (b, at) => b.readIntLE(at, 3) / 8388608;
    if (bits === 32) return (b, at) => b.readInt32LE(at) / 2147483648;
  }
  if (format === 3) {
    if (bits === 32) return (b, at) => b.readFloatLE(at);
    if (bits === 64) return (b, at) => b.readDoubleLE(at);
  }
  throw new Error(`${where}: unsupported WAV encoding (format ${format}, ${bits} bits); convert to 16-bit PCM, e.g. sox in.wav -b 16 out.wav`);
}

export function readWavFile(path: string): DecodedAudio {
  return decodeWav(readFileSync(path), path);
}
