import type { Logger } from '../../log/logger.js';
import { openInputFile } from '../open-input.js';
import { parseWavHeader, wavContainer } from '../wav-header.js';

/**
 * A copy writes the header first: a WAV copied in by a slow `cp`, `rsync --inplace` or an SMB
 * client that pauses between pieces already says how much audio it holds, while the file
 * has only part of it. Such a file may look settled (unchanged for settleMs) between two
 * pieces; read then, the rest of the recording was lost (moved to done/ under its writer).
 */

/** How much of a WAV its header promises and how much is on disk, in bytes of audio. */
export interface WavArrival {
  declaredBytes: number;
  presentBytes: number;
}

const HEAD_BYTES = 64 * 1024;

/**
 * The declared and present audio of a WAV whose header promises more audio than the file
 * holds; undefined for one that is whole, not a WAV, or whose header does not say its length
 * (written to a pipe, or by a recorder that fills it in at the end): the settle time alone
 * decides for those. Never throws: a file that cannot be read here is the decoder's to report.
 */
export async function wavStillArriving(path: string): Promise<WavArrival | undefined> {
  try {
    const { fh, stats } = await openInputFile(path, { noFollow: true });
    try {
      const head = Buffer.alloc(Math.min(stats.size, HEAD_BYTES));
      const { bytesRead } = await fh.read(head, 0, head.length, 0);
      const read = head.subarray(0, bytesRead);
      if (wavContainer(read) !== 'RIFF') return undefined;
      const header = parseWavHeader(read, path);
      if (!header || header.dataBytes === null) return undefined;
      const presentBytes = Math.max(0, stats.size - header.dataOffset);
      return presentBytes < header.dataBytes ? { declaredBytes: header.dataBytes, presentBytes } : undefined;
    } finally {
      await fh.close();
    }
  } catch {
    return undefined;
  }
}

/**
 * A WAV shorter than its header says and unchanged this long is not arriving any more: its
 * writer stopped (a recorder that crashed, a copy given up). It is then read as it is, cut
 * short, rather than left in the folder for ever. At least settleMs.
 */
export const GIVE_UP_WAITING_MS = 10 * 60_000;

/**
 * The spool watcher's hold on WAVs still arriving: each is left in the folder, said once,
 * until its header's length is all there or it has not changed for GIVE_UP_WAITING_MS.
 */
export class ArrivingWavs {
  private readonly said = new Set<string>();
  private readonly giveUpMs: number;

  constructor(
    private readonly sourceId: string,
    settleMs: number,
    private readonly logger: Logger,
  ) {
    this.giveUpMs = Math.max(GIVE_UP_WAITING_MS, settleMs);
  }

  /** Whether the settled-looking file `name` must wait for more of it; `mtimeMs` is its last change. */
  async holds(name: string, path: string, mtimeMs: number, now: number): Promise<boolean> {
    const arriving = await wavStillArriving(path);
    if (!arriving) {
      this.said.delete(name);
      return false;
    }
    const have = `${Math.floor((arriving.presentBytes / arriving.declaredBytes) * 100)} %`;
    if (now - mtimeMs < this.giveUpMs) {
      if (!this.said.has(name)) {
        this.said.add(name);
        this.logger.info('spool: a WAV still being copied in waits for the rest (its header gives a longer length than the file holds yet)', { source: this.sourceId, file: name, have });
      }
      return true;
    }
    this.said.delete(name);
    this.logger.warn(`spool: a WAV shorter than its header says has not changed for ${Math.round(this.giveUpMs / 60_000)} min; read as it is, cut short`, { source: this.sourceId, file: name, have });
    return false;
  }

  /** Forgets files no longer in the folder. */
  keepOnly(present: ReadonlySet<string>): void {
    for (const name of this.said) if (!present.has(name)) this.said.delete(name);
  }
}
