import { parseWavHeader, wavContainer, WavFormatError } from '../wav-header.js';
import type { PcmFormat } from '../types.js';

/** Far above a real WAV header (44 bytes from arecord, under 100 from ffmpeg or sox). */
const MAX_HEADER_BYTES = 64 * 1024;

/** A live stream's format, and its bytes from the first sample on. */
export interface StreamStart {
  format: PcmFormat;
  /** The stream began with a WAV header, which gave `format`; else the source's own format. */
  fromHeader: boolean;
  samples: AsyncIterable<Buffer>;
  /**
   * Lets the stream go unread (its format cannot be read as the source asks): the sender's
   * end closes. Left alone, a command's stdout would stay open with its rest unread, and the
   * command would never be seen to close: not restarted, and the source's stop hanging.
   */
  abandon(): Promise<void>;
}

/**
 * Live senders often send WAV where raw PCM is asked for: arecord writes a WAV header unless
 * told `-t raw`, and so do `sox … -t wav -` and `ffmpeg -f wav -`. Read as raw samples the
 * header is a click, and when the sender's format is not the source's (arecord without `-f`
 * sends 8 kHz u8) every sample after it is misread: no speech is ever found and nothing says
 * why. The header tells the stream's real format, so it is read and used, as sox and ffmpeg
 * do; a stream without one is the source's format.
 *
 * The header's data length is not kept to: writers to a pipe cannot know it and put 0,
 * 0xFFFFFFFF or arecord's 2 GiB in its place, and stopping there would leave the sender blocked.
 */
export async function readStreamStart(bytes: AsyncIterable<Buffer>, declared: PcmFormat, where: string): Promise<StreamStart> {
  const iterator = bytes[Symbol.asyncIterator]();
  let head: Buffer = Buffer.alloc(0);
  let ended = false;
  const more = async (): Promise<boolean> => {
    const next = await iterator.next();
    if (next.done === true) {
      ended = true;
      return false;
    }
    head = head.length === 0 ? next.value : Buffer.concat([head, next.value]);
    return true;
  };
  const start = (format: PcmFormat, fromHeader: boolean, first: Buffer): StreamStart => ({
    format,
    fromHeader,
    samples: continued(first, iterator, ended),
    abandon: async () => {
      if (!ended) await iterator.return?.();
    },
  });
  try {
    while (head.length < 12 && (await more()));
    // RF64/BW64 too, so that the header's reader says they are not supported.
    if (wavContainer(head) === null) return start(declared, false, head);
    for (;;) {
      const header = parseWavHeader(head, where);
      if (header !== null) return start(header.format, true, head.subarray(header.dataOffset));
      if (head.length > MAX_HEADER_BYTES) throw new WavFormatError(`${where}: the stream starts as WAV but has no "data" chunk in its first ${MAX_HEADER_BYTES} bytes`);
      // A sender that hangs up inside its header sent no audio.
      if (ended || !(await more())) return start(declared, false, Buffer.alloc(0));
    }
  } catch (err) {
    // An unreadable header: the rest is not read either (see StreamStart.abandon).
    if (!ended) await iterator.return?.();
    throw err;
  }
}

/** What was read ahead, then the rest of the stream; stopping early stops the stream too. */
async function* continued(first: Buffer, iterator: AsyncIterator<Buffer>, ended: boolean): AsyncGenerator<Buffer> {
  let done = ended;
  try {
    if (first.length > 0) yield first;
    while (!done) {
      const next = await iterator.next();
      if (next.done === true) done = true;
      else yield next.value;
    }
  } finally {
    if (!done) await iterator.return?.();
  }
}

/** `16000 Hz, 1 ch, s16le`, for the log. */
export function describeFormat(format: PcmFormat): string {
  return `${format.sampleRate} Hz, ${format.channels} ch, ${format.encoding}`;
}

export function sameFormat(a: PcmFormat, b: PcmFormat): boolean {
  return a.encoding === b.encoding && a.sampleRate === b.sampleRate && a.channels === b.channels;
}
