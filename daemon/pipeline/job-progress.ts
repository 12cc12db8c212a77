import type { JobProgressSummary } from '../scheduler/job-queue.js';
import { MODEL_SAMPLE_RATE } from '../audio/types.js';
import type { JobTranscript } from './types.js';

/**
 * How far a file job got, saved as records (one JSON line each, see JobQueue.saveProgress):
 * a header, then the speech segments it finished, in order from the first, with what each
 * published, and resume points between them. Segments are saved after each batch, once
 * their transcripts are in the outbox, so a saved segment's transcripts are never lost;
 * only new records are appended, so a ten-hour recording does not rewrite its whole past.
 *
 * A later run starts reading the audio at the last resume point and takes the segments
 * before it as they are. After it, it takes each saved segment the VAD cuts again at the
 * same place instead of transcribing it: a crash can leave transcripts in the outbox that
 * are not saved here, and only the same cut gives them the same ids again. Each run marks
 * the file before its first transcript goes out (PUBLISHING_RECORD), and only a clean
 * interruption ends it with a resume point; a run that finds a mark or segments after the
 * last point saves no new one (see JobProgress.openTail).
 */
export interface ProgressHeader {
  /**
   * 2 since resume points: a daemon that knows only 1 refuses the file and starts over
   * under new ids, rather than misreading a resume point as damage and cutting the audio
   * after it differently under the ids already published.
   */
  version: 1 | 2;
  /** The recognizer that made the transcripts; another one means starting over. */
  modelId: string;
  /** The detector and segmenter settings that cut the audio; other ones mean starting over. */
  cut: string;
  /**
   * Bumped whenever a run stops building on what an earlier run published (another model or
   * cut): the segments from there on get new transcript ids, so a subscriber that drops ids
   * it has seen does not drop their new text as a repeat of the old.
   */
  generation: number;
}

export interface FinishedSegment {
  startSec: number;
  endSec: number;
  /** What the segment published: one transcript, or none when it held no words. */
  transcripts: JobTranscript[];
  joules: number;
}

/**
 * Written when a run is interrupted cleanly: every transcript it published is saved above,
 * so the next run may start cutting at `sample` (the end of the last saved segment; its
 * detector hears a few seconds before it first, see detectFileSegments) instead of cutting
 * the whole kept part again. The segments a run cuts after
 * it are cut from there, so later runs start from the same place to cut them the same way.
 * Not written by a run that found segments saved after the last point: see
 * ProgressKeeper.saveResumePoint.
 */
export interface ResumePoint {
  /** Saved segments before it. */
  segments: number;
  /** Where the next run starts, in samples at 16 kHz from the start of the file. */
  sample: number;
}

export interface JobProgress {
  header: ProgressHeader;
  segments: FinishedSegment[];
  /** Every resume point, in order; a run starts at the last. */
  resumePoints: ResumePoint[];
  /**
   * Whether a run published after the last resume point (or the start) without being
   * interrupted cleanly since: segments or a publishing mark follow the point, or records
   * that could not be read. Such a run may have published more than it saved (a crash, a
   * failed save), under ids that only the cut from the last point gives again.
   */
  openTail: boolean;
}

/**
 * Saved before a run's first transcript goes out: until a resume point follows it, what the
 * run published may not all be saved (see JobProgress.openTail).
 */
export const PUBLISHING_RECORD = { publishing: true } as const;

/**
 * The records that hold this progress, resume points between the segments they follow,
 * and a publishing mark at the end while the run writing them publishes (`open`).
 */
export function progressRecords(header: ProgressHeader, segments: readonly FinishedSegment[], resumePoints: readonly ResumePoint[], open: boolean): unknown[] {
  const records: unknown[] = [header];
  let next = 0;
  segments.forEach((segment, i) => {
    for (; next < resumePoints.length && resumePoints[next]!.segments === i; next++) records.push(resumeRecord(resumePoints[next]!));
    records.push(segment);
  });
  for (; next < resumePoints.length; next++) records.push(resumeRecord(resumePoints[next]!));
  if (open) records.push(PUBLISHING_RECORD);
  return records;
}

export function resumeRecord(point: ResumePoint): unknown {
  return { resumeAt: { segments: point.segments, sample: point.sample } };
}

/**
 * The progress in saved records: undefined when the header is not one this version wrote;
 * what is read stops at the first record that is neither a segment nor a resume point that
 * fits where it stands (a line cut by a power cut).
 */
export function parseJobProgress(records: unknown): JobProgress | undefined {
  if (!Array.isArray(records)) return undefined;
  const header = parseHeader(records[0]);
  if (!header) return undefined;
  const segments: FinishedSegment[] = [];
  const resumePoints: ResumePoint[] = [];
  let openTail = false;
  for (const record of records.slice(1)) {
    const segment = parseSegment(record);
    if (segment) {
      segments.push(segment);
      openTail = true;
      continue;
    }
    if (header.version === 2 && isRecord(record) && record.publishing === true && Object.keys(record).length === 1) {
      openTail = true;
      continue;
    }
    const point = header.version === 2 ? parseResumePoint(record, segments) : undefined;
    if (!point) {
      // Unread records may be anything a run wrote, a publishing mark among them.
      openTail = true;
      break;
    }
    resumePoints.push(point);
    openTail = false;
  }
  return { header, segments, resumePoints, openTail };
}

function parseHeader(value: unknown): ProgressHeader | undefined {
  if (!isRecord(value) || (value.version !== 1 && value.version !== 2) || typeof value.modelId !== 'string' || typeof value.cut !== 'string') return undefined;
  if (!Number.isSafeInteger(value.generation) || (value.generation as number) < 0) return undefined;
  return { version: value.version, modelId: value.modelId, cut: value.cut, generation: value.generation as number };
}

/** A resume point after the segments read so far, not before the end of the last of them. */
function parseResumePoint(value: unknown, before: readonly FinishedSegment[]): ResumePoint | undefined {
  if (!isRecord(value) || !isRecord(value.resumeAt)) return undefined;
  const { segments, sample } = value.resumeAt;
  if (segments !== before.length || !Number.isSafeInteger(sample) || (sample as number) < 0) return undefined;
  const last = before.at(-1);
  if (last && (sample as number) < Math.round(last.endSec * MODEL_SAMPLE_RATE)) return undefined;
  return { segments, sample: sample as number };
}

function parseSegment(value: unknown): FinishedSegment | undefined {
  if (!isRecord(value) || !isFiniteNumber(value.startSec) || !isFiniteNumber(value.endSec) || !isFiniteNumber(value.joules) || !Array.isArray(value.transcripts)) return undefined;
  const transcripts: JobTranscript[] = [];
  for (const t of value.transcripts as unknown[]) {
    if (!isRecord(t) || typeof t.id !== 'string' || typeof t.text !== 'string' || typeof t.rawText !== 'string' || !isFiniteNumber(t.startOffsetSec) || !isFiniteNumber(t.endOffsetSec)) return undefined;
    transcripts.push({ id: t.id, text: t.text, rawText: t.rawText, startOffsetSec: t.startOffsetSec, endOffsetSec: t.endOffsetSec });
  }
  return { startSec: value.startSec, endSec: value.endSec, transcripts, joules: value.joules };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** What `jobs list` shows of a job's progress: segments finished, and where the last ends. */
export function summarizeJobProgress(records: unknown[]): JobProgressSummary | undefined {
  const progress = parseJobProgress(records);
  if (!progress) return undefined;
  return { segments: progress.segments.length, throughSec: progress.segments.at(-1)?.endSec ?? 0 };
}
