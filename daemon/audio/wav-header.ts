import type { PcmEncoding, PcmFormat } from './types.js';

/**
 * RIFF/WAVE header parsing (Microsoft "Multimedia Programming Interface and Data
 * Specifications 1.0", and the WAVE_FORMAT_EXTENSIBLE note). Only the header is read:
 * the samples are streamed afterwards from `dataOffset`.
 */

const WAVE_FORMAT_PCM = 0x0001;
const WAVE_FORMAT_IEEE_FLOAT = 0x0003;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

export interface WavHeader {
  format: PcmFormat;
  /** Byte offset of the first sample. */
  dataOffset: number;
  /**
   * Bytes of sample data, or null when the header does not know (streamed WAVs written to
   * a pipe by arecord/ffmpeg carry 0 or 0xFFFFFFFF): read to the end of the file then.
   */
  dataBytes: number | null;
}

export class WavFormatError extends Error {
  override name = 'WavFormatError';
}

/**
 * A WAV whose audio is in a codec, not PCM: G.711 µ-law or A-law (telephone and call
 * recorders), ADPCM, GSM, MP3. The header is sound; ffmpeg decodes these when it is installed.
 */
export class WavCodecError extends WavFormatError {
  override name = 'WavCodecError';
  constructor(
    message: string,
    /** The fmt chunk's format tag (the sub-format's for WAVE_FORMAT_EXTENSIBLE). */
    readonly tag: number,
  ) {
    super(message);
  }
}

/**
 * The container a WAV's first 12 bytes name: RIFF, or RF64/BW64 (over 4 GB); null when they
 * are not "….WAVE" at all. Where a caller tells a WAV from other audio before reading its header.
 */
export function wavContainer(head: Buffer): 'RIFF' | 'RF64' | 'BW64' | null {
  if (head.length < 12 || head.toString('latin1', 8, 12) !== 'WAVE') return null;
  const id = head.toString('latin1', 0, 4);
  return id === 'RIFF' || id === 'RF64' || id === 'BW64' ? id : null;
}

/**
 * Parses the header at the start of `head`. Returns null when `head` is too short to reach
 * the `data` chunk yet (read more and call again); throws WavFormatError for a file that is
 * not a WAV we can decode, naming what is wrong.
 */
export function parseWavHeader(head: Buffer, where = 'WAV file'): WavHeader | null {
  if (head.length < 12) return null;
  const riff = head.toString('latin1', 0, 4);
  if (riff === 'RF64' || riff === 'BW64') {
    throw new WavFormatError(`${where}: RF64/BW64 WAVs (over 4 GB) are not supported; split the file or convert it with ffmpeg`);
  }
  if (riff !== 'RIFF' || head.toString('latin1', 8, 12) !== 'WAVE') {
    throw new WavFormatError(`${where}: not a RIFF/WAVE file (starts with ${JSON.stringify(head.toString('latin1', 0, 4))})`);
  }
  let offset = 12;
  let format: PcmFormat | null = null;
  while (offset + 8 <= head.length) {
    const id = head.toString('latin1', offset, offset + 4);
    const size = head.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'data') {
      if (!format) throw new WavFormatError(`${where}: the "data" chunk comes before the "fmt " chunk`);
      const unknown = size === 0 || size === 0xffffffff;
      return { format, dataOffset: body, dataBytes: unknown ? null : size };
    }
    if (body + size > head.length) return null;
    if (id === 'fmt ') format = parseFmt(head.subarray(body, body + size), where);
    // Chunks are word-aligned: an odd size is followed by one pad byte.
    offset = body + size + (size & 1);
  }
  return null;
}

function parseFmt(fmt: Buffer, where: string): PcmFormat {
  if (fmt.length < 16) throw new WavFormatError(`${where}: "fmt " chunk is ${fmt.length} bytes, expected at least 16`);
  let tag = fmt.readUInt16LE(0);
  const channels = fmt.readUInt16LE(2);
  const sampleRate = fmt.readUInt32LE(4);
  const blockAlign = fmt.readUInt16LE(12);
  const bits = fmt.readUInt16LE(14);
  if (tag === WAVE_FORMAT_EXTENSIBLE) {
    if (fmt.length < 40) throw new WavFormatError(`${where}: WAVE_FORMAT_EXTENSIBLE "fmt " chunk is ${fmt.length} bytes, expected 40`);
    // The sub-format GUID starts with the plain format tag (KSDATAFORMAT_SUBTYPE_PCM = 0x0001...).
    tag = fmt.readUInt16LE(24);
  }
  if (channels < 1) throw new WavFormatError(`${where}: header says 0 channels`);
  if (sampleRate < 1) throw new WavFormatError(`${where}: header says sample rate 0`);
  // 1 Hz would be upsampled 16000-fold (a 1 MB file becomes days of audio): a corrupt header, not a recording.
  if (sampleRate < 1000 || sampleRate > 768000) throw new WavFormatError(`${where}: header says sample rate ${sampleRate} Hz, outside 1000–768000 Hz; the header is corrupt (re-export the file)`);
  const encoding = encodingFor(tag, bits, where);
  const container = (blockAlign / channels) * 8;
  if (container !== bits) {
    throw new WavFormatError(
      `${where}: ${bits}-bit samples in ${container}-bit containers are not supported; convert with "sox in.wav -b ${bits} out.wav"`,
    );
  }
  return { encoding, sampleRate, channels };
}

function encodingFor(tag: number, bits: number, where: string): PcmEncoding {
  if (tag === WAVE_FORMAT_PCM) {
    if (bits === 8) return 'u8'; // 8-bit WAV is unsigned; wider widths are signed.
    if (bits === 16) return 's16le';
    if (bits === 24) return 's24le';
    if (bits === 32) return 's32le';
  } else if (tag === WAVE_FORMAT_IEEE_FLOAT) {
    if (bits === 32) return 'f32le';
    if (bits === 64) return 'f64le';
  }
  const what = tag === WAVE_FORMAT_PCM ? 'integer PCM' : tag === WAVE_FORMAT_IEEE_FLOAT ? 'float' : `format tag 0x${tag.toString(16)}`;
  const message = `${where}: ${bits}-bit ${what} is not supported (supported: 8/16/24/32-bit integer PCM, 32/64-bit float); convert it with ffmpeg or sox`;
  if (tag !== WAVE_FORMAT_PCM && tag !== WAVE_FORMAT_IEEE_FLOAT) throw new WavCodecError(message, tag);
  throw new WavFormatError(message);
}
