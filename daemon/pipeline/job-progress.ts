import type { JobTranscript } from './types.js';

/**
 * How far a file job got: the speech segments it finished, in order from the first, with
 * what each published. A run after a stop or crash takes each segment the VAD cuts again
 * at the same place from here instead of transcribing it again. Saved after each batch,
 * once its transcripts are in the outbox, so a saved segment's transcripts are never lost.
 */
export interface JobProgress {
  version: 1;
  /** The recognizer that made the transcripts; another one means starting over. */
  modelId: string;
  segments: FinishedSegment[];
}

export interface FinishedSegment {
  startSec: number;
  endSec: number;
  /** What the segment published: one transcript, or none when it held no words. */
  transcripts: JobTranscript[];
  joules: number;
}

/** The progress read back from disk, or undefined when it is not one this version wrote. */
export function parseJobProgress(value: unknown): JobProgress | undefined {
  if (!isRecord(value) || value.version !== 1 || typeof value.modelId !== 'string' || !Array.isArray(value.segments)) return undefined;
  const segments: FinishedSegment[] = [];
  for (const s of value.segments as unknown[]) {
    if (!isRecord(s) || !isFiniteNumber(s.startSec) || !isFiniteNumber(s.endSec) || !isFiniteNumber(s.joules) || !Array.isArray(s.transcripts)) return undefined;
    const transcripts: JobTranscript[] = [];
    for (const t of s.transcripts as unknown[]) {
      if (!isRecord(t) || typeof t.id !== 'string' || typeof t.text !== 'string' || typeof t.rawText !== 'string' || !isFiniteNumber(t.startOffsetSec) || !isFiniteNumber(t.endOffsetSec)) return undefined;
      transcripts.push({ id: t.id, text: t.text, rawText: t.rawText, startOffsetSec: t.startOffsetSec, endOffsetSec: t.endOffsetSec });
    }
    segments.push({ startSec: s.startSec, endSec: s.endSec, transcripts, joules: s.joules });
  }
  return { version: 1, modelId: value.modelId, segments };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}
