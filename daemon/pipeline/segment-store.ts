import { mkdir, readFile, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { MODEL_SAMPLE_RATE } from '../audio/types.js';
import { encodeFloatWav } from '../audio/wav-writer.js';
import type { SpeechSegment } from '../vad/types.js';
import { fsyncDir, replaceDurably } from '../scheduler/durable-file.js';
import { validateJobId } from '../scheduler/job-id.js';
import { checkFormat, withFormat } from '../state-format.js';
import type { JobRecord } from '../scheduler/job-queue.js';
import type { Logger } from '../log/logger.js';
import type { TranscriptionJob } from './types.js';

/** What a saved live segment needs besides its samples to become a transcript. */
interface SegmentMeta {
  sourceId: string;
  offsetSec: number;
  startedAtMs: number;
  /** The spool file the segment came from, when it came from one. */
  recording?: string;
}

/**
 * Live speech segments saved under `<dataDir>/segments/` as 32-bit float WAV (exact
 * samples) plus a small JSON sidecar, each fsynced and renamed into place before the job
 * is queued: a crash after VAD cut the segment loses nothing. Removed once the job is done.
 */
export class SegmentStore {
  constructor(
    private readonly dir: string,
    /** Says when a sidecar cannot be read and the segment is transcribed without it. */
    private readonly logger?: Logger,
  ) {}

  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o750 });
    // Half-written temp files from a crash are not segments.
    for (const name of await readdir(this.dir)) if (name.endsWith('.tmp')) await unlink(join(this.dir, name)).catch(() => undefined);
  }

  wavPath(jobId: string): string {
    return join(this.dir, `${validateJobId(jobId)}.wav`);
  }

  /** Saves the segment durably; returns the WAV's path. */
  async save(jobId: string, segment: SpeechSegment): Promise<string> {
    const wav = this.wavPath(jobId);
    const meta: SegmentMeta = {
      sourceId: segment.sourceId,
      offsetSec: segment.startSec,
      startedAtMs: Date.parse(segment.startedAt),
      ...(segment.recording !== undefined ? { recording: segment.recording } : {}),
    };
    // Temp files go in this folder (open() clears leftovers); one directory fsync covers both.
    await replaceDurably(this.dir, `${wav}.json`, JSON.stringify(withFormat(meta)));
    await replaceDurably(this.dir, wav, encodeFloatWav(segment.samples, MODEL_SAMPLE_RATE));
    await fsyncDir(this.dir);
    return wav;
  }

  /**
   * The job for a saved segment, with its offset and wall-clock start from the sidecar.
   * Throws NewerFormatError for a sidecar a newer release wrote (the scheduler leaves the job).
   * A sidecar that is not JSON (left empty or cut short by a power cut, a damaged disk) costs
   * the segment only its place in time: its speech is in the WAV, so it is transcribed with the
   * queue's record (source, recording), as started when it was queued and at offset 0. Failing
   * the job deleted the speech with it.
   */
  async describe(queued: Pick<JobRecord, 'id' | 'sourceId' | 'submittedAt' | 'recording'>): Promise<TranscriptionJob> {
    const path = this.wavPath(queued.id);
    const sourceId = queued.sourceId ?? 'cli';
    let meta: SegmentMeta;
    try {
      meta = JSON.parse(await readFile(`${path}.json`, 'utf8')) as SegmentMeta;
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
      this.logger?.warn(`${path}.json cannot be read (${err.message}): the segment is transcribed without it, as started when it was queued (${queued.submittedAt}) at offset 0 in its source`, { id: queued.id });
      return { id: queued.id, sourceId, path, kind: 'segment', offsetSec: 0, startedAtMs: Date.parse(queued.submittedAt), ...(queued.recording !== undefined ? { recording: queued.recording } : {}) };
    }
    checkFormat(meta, `${path}.json`);
    const job: TranscriptionJob = { id: queued.id, sourceId: meta.sourceId ?? sourceId, path, kind: 'segment', offsetSec: meta.offsetSec, startedAtMs: meta.startedAtMs };
    // Sidecars written before this field existed have none; their transcripts just lack it.
    if (typeof meta.recording === 'string') job.recording = meta.recording;
    return job;
  }

  isSegment(path: string): boolean {
    return path.startsWith(this.dir + '/') && path.endsWith('.wav');
  }

  async remove(jobId: string): Promise<void> {
    const wav = this.wavPath(jobId);
    await unlink(wav).catch(() => undefined);
    await unlink(`${wav}.json`).catch(() => undefined);
  }
}
