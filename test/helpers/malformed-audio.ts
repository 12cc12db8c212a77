/**
 * The malformed recordings an unattended box meets in the field, generated as real bytes:
 * each with the problem its error must name. Shared by the end-to-end bad-input test and
 * the reliability bench.
 */

export interface WavSpec {
  /** WAVE format tag: 1 integer PCM, 3 IEEE float. */
  tag?: number;
  channels?: number;
  sampleRate?: number;
  bits?: number;
  /** Written as the fmt chunk's block align; default channels × bits / 8. */
  blockAlign?: number;
  data: Buffer;
}

/** A canonical 44-byte-header RIFF/WAVE file around `data`. */
export function wavBytes(spec: WavSpec): Buffer {
  const tag = spec.tag ?? 1;
  const channels = spec.channels ?? 1;
  const rate = spec.sampleRate ?? 16000;
  const bits = spec.bits ?? 16;
  const align = spec.blockAlign ?? (channels * bits) / 8;
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(36 + spec.data.length, 4);
  h.write('WAVEfmt ', 8, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(tag, 20);
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(rate >>> 0, 24);
  h.writeUInt32LE((rate * align) >>> 0, 28);
  h.writeUInt16LE(align, 32);
  h.writeUInt16LE(bits, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(spec.data.length, 40);
  return Buffer.concat([h, spec.data]);
}

/** The 16-bit mono samples of a canonical 16 kHz WAV (the speech fixture). */
export function pcmOf(goodWav: Buffer): Buffer {
  if (goodWav.toString('latin1', 36, 40) !== 'data') throw new Error('expected a canonical 44-byte-header WAV');
  return goodWav.subarray(44);
}

/** The same 16-bit mono speech in every one of `channels` channels (interleaved). */
export function multichannel(pcm: Buffer, channels: number): Buffer {
  const frames = pcm.length / 2;
  const out = Buffer.alloc(frames * 2 * channels);
  for (let f = 0; f < frames; f++) {
    const v = pcm.readInt16LE(f * 2);
    for (let c = 0; c < channels; c++) out.writeInt16LE(v, (f * channels + c) * 2);
  }
  return out;
}

export interface MalformedFile {
  name: string;
  bytes: Buffer;
  /** What the error must say about the problem (the file name is checked separately). */
  problem: RegExp;
}

/** Speech as 32-bit float with one bad value every `every` samples. */
function floatWith(pcm: Buffer, bad: number, every: number): Buffer {
  const n = pcm.length / 2;
  const f = new Float32Array(n);
  for (let i = 0; i < n; i++) f[i] = i % every === every - 1 ? bad : pcm.readInt16LE(i * 2) / 32768;
  return Buffer.from(f.buffer);
}

/**
 * One file per kind of damage, built from a good canonical WAV of speech. The problems are
 * matched loosely where ffmpeg (when installed) may word the error itself.
 */
export function malformedFiles(goodWav: Buffer): MalformedFile[] {
  const pcm = pcmOf(goodWav);
  const short = pcm.subarray(0, 16000 * 2);
  return [
    { name: 'zero-length.wav', bytes: Buffer.alloc(0), problem: /empty \(0 bytes\)/ },
    { name: 'truncated.wav', bytes: goodWav.subarray(0, 30), problem: /truncated|no "data" chunk/ },
    { name: 'corrupt-header.wav', bytes: wavBytes({ channels: 0, blockAlign: 2, data: short }), problem: /0 channels/ },
    {
      // A LIST chunk that claims almost 4 GB before any audio: the reader must not try to buffer it.
      name: 'huge-header.wav',
      bytes: Buffer.concat([Buffer.from('RIFF\xf0\xff\xff\xffWAVELIST\x00\xff\xff\xff', 'latin1'), Buffer.alloc(4096, 0x20)]),
      problem: /no "data" chunk|truncated/,
    },
    { name: 'rate-zero.wav', bytes: wavBytes({ sampleRate: 0, data: short }), problem: /sample rate 0/ },
    { name: 'rate-1hz.wav', bytes: wavBytes({ sampleRate: 1, data: short }), problem: /sample rate 1 Hz/ },
    { name: 'rate-4ghz.wav', bytes: wavBytes({ sampleRate: 4_000_000_000, data: short }), problem: /sample rate 4000000000 Hz/ },
    {
      // 8 channels of 16-bit audio cannot fit a 4-byte frame: the header contradicts itself.
      name: 'eight-channel-bad-align.wav',
      bytes: wavBytes({ channels: 8, blockAlign: 4, data: multichannel(short, 8) }),
      problem: /containers are not supported/,
    },
    { name: 'nan-filled.wav', bytes: wavBytes({ tag: 3, bits: 32, data: floatWith(short, NaN, 50) }), problem: /NaN/ },
    { name: 'inf-filled.wav', bytes: wavBytes({ tag: 3, bits: 32, data: floatWith(short, Infinity, 50) }), problem: /Infinity|Inf\b/ },
    { name: 'not-audio.wav', bytes: Buffer.from('Agenda\n1. budget\n2. hiring\n'.repeat(40)), problem: /not a WAV|ffmpeg|invalid data/i },
    { name: 'mp3-in-wav.wav', bytes: wavBytes({ tag: 0x55, bits: 0, blockAlign: 0, data: short }), problem: /format tag 0x55|not supported|containers/ },
  ];
}
