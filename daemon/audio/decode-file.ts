import type { FileHandle } from 'node:fs/promises';
import { openInputFile, type InputFileRules } from './open-input.js';
import { findFfmpeg, ffmpegDecode } from './ffmpeg.js';
import { ffprobeBeside, ffprobeDuration } from './ffprobe-duration.js';
import { checkChannel } from './pcm-decoder.js';
import { bytesToModelRate } from './to-model-rate.js';
import { MODEL_SAMPLE_RATE, bytesPerSample, type ChannelSelect, type PcmFormat } from './types.js';
import { parseWavHeader, wavContainer, WavCodecError, WavFormatError, type WavHeader } from './wav-header.js';

/**
 * Opens an audio file for streaming decode to mono 16 kHz: WAV (read here), raw PCM with
 * a declared format, or anything else through ffmpeg when it is installed. Only a small
 * window of the file is in memory at any time, so a multi-hour recording costs no more
 * than a short one.
 */

/** `noFollow` and `within` (see open-input.ts) hold at every open: the header read and each decode. */
export interface DecodeOptions extends InputFileRules {
  /** Treat the file as headerless PCM in this format (e.g. from `arecord -t raw`). */
  raw?: PcmFormat;
  /** 'mix' averages all channels (default); a number picks one channel (0-based). */
  channel?: ChannelSelect;
  /** Read size; the bound on memory per open file. */
  chunkBytes?: number;
  /** ffmpeg binary for other containers (default "ffmpeg" on PATH). */
  ffmpeg?: string;
  /** Output rate; 16 kHz (the models' rate) unless a caller needs another. */
  sampleRate?: number;
  /**
   * Whether to ask ffprobe for the length of a file ffmpeg decodes (info.durationSec, which
   * dates the recording): default on; off for a caller that never reads `info`, so that no
   * process is started for nothing.
   */
  probeLength?: boolean;
}

export interface AudioFileInfo {
  container: 'wav' | 'raw' | 'ffmpeg';
  /** The stored format; null for ffmpeg input (ffmpeg hands us 16 kHz float already). */
  format: PcmFormat | null;
  /**
   * Length in seconds from the header/size (WAV, raw) or as the container says (ffprobe, for
   * ffmpeg input), or null when it is not known before decoding.
   */
  durationSec: number | null;
  /** The opened file's modification time (ms since the epoch): when its recorder last wrote. */
  modifiedMs: number;
}

export interface AudioFile {
  info: AudioFileInfo;
  /** Mono samples at 16 kHz (or the rate asked for), in chunks; iterate once. */
  samples(): AsyncGenerator<Float32Array>;
}

const HEADER_PROBE_BYTES = 64 * 1024;
/** Metadata chunks (LIST, bext, iXML) before `data` are rarely larger than this. */
const HEADER_MAX_BYTES = 16 * 1024 * 1024;

export async function openAudioFile(path: string, options: DecodeOptions = {}): Promise<AudioFile> {
  const chunkBytes = options.chunkBytes ?? 256 * 1024;
  const channel = options.channel ?? 'mix';
  const outRate = options.sampleRate ?? MODEL_SAMPLE_RATE;
  // Every later open (each decode) is held to the same rules as this one.
  const openInput = async () => (await openInputFile(path, options)).fh;
  const { fh, stats } = await openInputFile(path, options);
  let head: Buffer;
  const size = stats.size;
  /** A WAV in a codec (µ-law, ADPCM …): handed to ffmpeg, when it is installed, like any other format. */
  let codec: WavCodecError | undefined;
  try {
    if (size === 0) throw new Error(`${path}: the file is empty (0 bytes); the recorder wrote nothing`);
    head = await readHead(fh, Math.min(size, HEADER_PROBE_BYTES));
    if (options.raw) return rawFile(path, openInput, options.raw, channel, outRate, chunkBytes, 0, size, stats.mtimeMs);
    // RIFF holds other forms too (AVI, WebP): only WAVE is read here, the rest goes to ffmpeg.
    if (wavContainer(head) === 'RIFF') {
      try {
        const header = await readWavHeader(fh, head, size, path);
        const available = size - header.dataOffset;
        const dataBytes = header.dataBytes === null ? available : Math.min(header.dataBytes, available);
        const file = rawFile(path, openInput, header.format, channel, outRate, chunkBytes, header.dataOffset, dataBytes, stats.mtimeMs);
        return { ...file, info: { ...file.info, container: 'wav' } };
      } catch (err) {
        if (!(err instanceof WavCodecError) || !findFfmpeg(options.ffmpeg)) throw err;
        codec = err;
      }
    }
  } finally {
    await fh.close();
  }
  const ffmpeg = findFfmpeg(options.ffmpeg);
  if (!ffmpeg) {
    throw new Error(
      `${path}: not a WAV file, and ffmpeg is not installed to decode other formats; install ffmpeg (apt-get install ffmpeg), convert the file to WAV, or declare raw PCM`,
    );
  }
  let durationSec: number | null = null;
  if (options.probeLength ?? true) {
    const probed = await openInput();
    try {
      durationSec = await ffprobeDuration(ffprobeBeside(ffmpeg), probed.fd);
    } finally {
      await probed.close();
    }
  }
  return {
    info: { container: 'ffmpeg', format: null, durationSec, modifiedMs: stats.mtimeMs },
    samples: () => namingFile(codec ? `${path}: a WAV in format tag 0x${codec.tag.toString(16)}, read through ffmpeg` : path, floatBytes(ffmpegFromHandle(ffmpeg, path, openInput, outRate, channel))),
  };
}

/**
 * ffmpeg reads the file we opened (inherited as fd 3), not the path: what it decodes is the
 * file that was checked, whatever the path names by then.
 */
async function* ffmpegFromHandle(ffmpeg: string, path: string, openInput: () => Promise<FileHandle>, outRate: number, channel: ChannelSelect): AsyncGenerator<Buffer> {
  const fh = await openInput();
  try {
    yield* ffmpegDecode(ffmpeg, path, outRate, channel, fh.fd);
  } finally {
    await fh.close();
  }
}

/**
 * When the recording began, by the wall clock: a recorder's last write (the file's
 * modification time) is its end, so one duration earlier; where the duration is not known
 * before decoding (an ffmpeg format whose length ffprobe could not tell), the modification
 * time itself.
 */
export function recordingStartMs(info: AudioFileInfo): number {
  return info.modifiedMs - (info.durationSec ?? 0) * 1000;
}

/** The header of a WAV whose first bytes are `head`, reading further for long metadata before `data`. */
async function readWavHeader(fh: FileHandle, head: Buffer, size: number, path: string): Promise<WavHeader> {
  let header = parseWavHeader(head, path);
  let probe = HEADER_PROBE_BYTES;
  while (!header && probe < Math.min(size, HEADER_MAX_BYTES)) {
    probe *= 4;
    header = parseWavHeader(await readHead(fh, Math.min(size, probe)), path);
  }
  if (!header) throw new WavFormatError(`${path}: no "data" chunk found; the file is truncated or not a WAV`);
  return header;
}

async function readHead(fh: FileHandle, bytes: number): Promise<Buffer> {
  const buf = Buffer.alloc(bytes);
  const { bytesRead } = await fh.read(buf, 0, bytes, 0);
  return buf.subarray(0, bytesRead);
}

function rawFile(
  path: string,
  openInput: () => Promise<FileHandle>,
  format: PcmFormat,
  channel: ChannelSelect,
  outRate: number,
  chunkBytes: number,
  start: number,
  bytes: number,
  modifiedMs: number,
): AudioFile {
  checkChannel(format, channel);
  const frameBytes = bytesPerSample(format.encoding) * format.channels;
  return {
    info: { container: 'raw', format, durationSec: Math.floor(bytes / frameBytes) / format.sampleRate, modifiedMs },
    samples: () => {
      if (bytes <= 0) return bytesToModelRate(emptyStream(), format, channel, outRate);
      return namingFile(path, bytesToModelRate(readRange(openInput, start, start + bytes - 1, chunkBytes), format, channel, outRate));
    },
  };
}

/** Passes samples through; an error met while decoding (corrupt data, a read error) names the file. */
async function* namingFile(path: string, samples: AsyncGenerator<Float32Array>): AsyncGenerator<Float32Array> {
  try {
    yield* samples;
  } catch (err) {
    if (err instanceof Error && !err.message.includes(path)) err.message = `${path}: ${err.message}`;
    throw err;
  }
}

/** Bytes start..end (inclusive) of a file opened when reading begins; closed when it ends or is abandoned. */
async function* readRange(openInput: () => Promise<FileHandle>, start: number, end: number, chunkBytes: number): AsyncGenerator<Buffer> {
  const fh = await openInput();
  const stream = fh.createReadStream({ start, end, highWaterMark: chunkBytes });
  try {
    yield* stream as AsyncIterable<Buffer>;
  } finally {
    stream.destroy();
    await fh.close().catch(() => undefined);
  }
}

async function* emptyStream(): AsyncGenerator<Buffer> {
  // Nothing to read: a WAV with an empty data chunk.
}

/** ffmpeg's f32le output as Float32Arrays, carrying split samples across chunk borders. */
async function* floatBytes(chunks: AsyncIterable<Buffer>): AsyncGenerator<Float32Array> {
  let carry = Buffer.alloc(0);
  for await (const chunk of chunks) {
    const data = carry.length ? Buffer.concat([carry, chunk]) : chunk;
    const n = Math.floor(data.length / 4);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = data.readFloatLE(i * 4);
    carry = Buffer.from(data.subarray(n * 4));
    if (n > 0) yield out;
  }
}

/** Decodes a whole file into memory; for short clips and tests only. */
export async function decodeAll(path: string, options: DecodeOptions = {}): Promise<Float32Array> {
  // Only the samples are wanted here: the length and date in `info` are not read.
  const file = await openAudioFile(path, { ...options, probeLength: false });
  const parts: Float32Array[] = [];
  let total = 0;
  for await (const part of file.samples()) {
    parts.push(part);
    total += part.length;
  }
  const out = new Float32Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
