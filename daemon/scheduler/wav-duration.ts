import { openInputFile, type InputFileRules } from '../audio/open-input.js';
import { wavContainer } from '../audio/wav-header.js';

/**
 * Audio seconds of a RIFF/WAVE file from its header (byte rate and data chunk size), for the
 * scheduler's run-time estimate; undefined for other formats or a header it cannot read.
 */
export async function wavSeconds(path: string, rules: InputFileRules = {}): Promise<number | undefined> {
  let fh;
  try {
    const opened = await openInputFile(path, rules);
    fh = opened.fh;
    const head = Buffer.alloc(4096);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    const size = opened.stats.size;
    if (wavContainer(head.subarray(0, bytesRead)) !== 'RIFF') return undefined;
    let byteRate: number | undefined;
    for (let off = 12; off + 8 <= bytesRead; ) {
      const id = head.toString('latin1', off, off + 4);
      const len = head.readUInt32LE(off + 4);
      if (id === 'fmt ' && off + 16 <= bytesRead) byteRate = head.readUInt32LE(off + 16);
      if (id === 'data') {
        // Streamed WAVs carry 0 or 0xffffffff here; the file size is the truth then.
        const dataBytes = len === 0 || len === 0xffffffff ? size - off - 8 : Math.min(len, size - off - 8);
        return byteRate ? dataBytes / byteRate : undefined;
      }
      off += 8 + len + (len % 2);
    }
    return undefined;
  } catch {
    return undefined;
  } finally {
    await fh?.close();
  }
}
