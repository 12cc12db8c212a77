import type { AsrResult, Hotword, TranscribeOptions } from '../asr/types.js';
import type { JobEnergy } from '../energy/job-energy.js';
import type { IntensityReading } from '../energy/carbon/types.js';
import type { ProcessedTranscript, TranscriptForPlugins } from '../plugins/types.js';
import type { TranscriptPayload } from '../mqtt/payloads/transcript.js';

/**
 * The narrow views the pipeline has of the services it joins. The controller passes the
 * real services; nothing here constructs one.
 */
export interface SpeechRecognizer {
  readonly id: string;
  /** Its model card's languages, the main one first (transcriptLanguage). */
  readonly languages?: readonly string[];
  transcribeBatch(segments: readonly Float32Array[], options?: TranscribeOptions): Promise<AsrResult[]>;
}

export interface TranscriptPostProcessor {
  hotwords(language?: string): Hotword[];
  process(transcript: TranscriptForPlugins): Promise<ProcessedTranscript>;
}

export interface TranscriptSink {
  /** Resolves once the transcript is durably in the outbox (it is published from there). */
  publishTranscript(transcript: TranscriptPayload): Promise<void>;
}

export interface EnergySpan<S> {
  begin(): Promise<S>;
  end(start: S): Promise<JobEnergy>;
}

export interface IntensityNow {
  current(nowMs: number): IntensityReading;
}

/** A unit of work the queue holds: a recording file, or a live segment saved as WAV. */
export interface TranscriptionJob {
  id: string;
  sourceId: string;
  /** Audio file on disk (a spool file, or the saved segment). */
  path: string;
  kind: 'file' | 'segment';
  /** For segments: the offset of the saved audio in the source's timeline. */
  offsetSec?: number;
  /** Wall-clock time of the first sample, ms since the epoch. */
  startedAtMs?: number;
  /** The recording the audio came from: its spool file name, or the path given to `jobs submit`. */
  recording?: string;
  /** Folders `path` must lie in when read (a path a remote caller named); see open-input.ts. */
  within?: string[];
  /** Transcript ids derive from this and each segment, not from this box and job (see sharedTranscriptId). */
  idScope?: string;
  /** How often `jobs retry` put it back after a failure; part of its transcript ids. */
  retries?: number;
}

/** What `jobs export` and `jobs list` show of a finished job's transcripts. */
export interface JobTranscript {
  id: string;
  text: string;
  rawText: string;
  startOffsetSec: number;
  endOffsetSec: number;
}

export interface JobOutcome {
  jobId: string;
  /** The transcripts' text, joined, in order. */
  text: string;
  transcripts: JobTranscript[];
  audioSec: number;
  speechSec: number;
  processingMs: number;
  joules: number;
}
