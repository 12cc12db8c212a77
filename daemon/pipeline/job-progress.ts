import type { JobProgressSummary } from '../scheduler/job-queue.js';
import type { JobTranscript } from './types.js';

/**
 * How far a file job got, saved as records (one JSON line each, see JobQueue.saveProgress):
 * a header, then the speech segments it finished, in order from the first, with what each
 * published. A run after a stop or crash takes each segment the VAD cuts again at the same
 * place from here instead of transcribing it again. Segments are saved after each batch,
 * once their transcripts are in the outbox, so a saved segment's transcripts are never lost;
 * only new segments are appended, so a ten-hour recording does not rewrite its whole past.
 */
export interface ProgressHeader {
  version: 1;
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

export interface JobProgress {
  header: ProgressHeader;
  segments: FinishedSegment[];
}

/**
 * The progress in saved records: undefined when the header is not one this version wrote;
 * the segments stop at the first record that is not a segment (a line cut by a power cut).
 */
export function parseJobProgress(records: unknown): JobProgress | undefined {
  if (!Array.isArray(records)) return undefined;
  const header = parseHeader(records[0]);
  if (!header) return undefined;
  const segments: FinishedSegment[] = [];
  for (const record of records.slice(1)) {
    const segment = parseSegment(record);
    if (!segment) break;
    segments.push(segment);
  }
  return { header, segments };
}

function parseHeader(value: unknown): ProgressHeader | undefined {
  if (!isRecord(value) || value.version !== 1 || typeof value.modelId !== 'string' || typeof value.cut !== 'string') return undefined;
  if (!Number.isSafeInteger(value.generation) || (value.generation as number) < 0) return undefined;
  return { version: 1, modelId: value.modelId, cut: value.cut, generation: value.generation as number };
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
