import { createHash, randomUUID } from 'node:crypto';
import { PAYLOAD_VERSION } from './status.js';
import { MODEL_SAMPLE_RATE } from '../../audio/types.js';

/** One word or token with its time span, seconds from the start of the segment. */
export interface TranscriptToken {
  text: string;
  start: number;
  end: number;
  confidence?: number;
}

export interface TranscriptEnergy {
  joules: number;
  /**
   * `measured` when read from a power meter, else `estimated`. The energy ledger holds this
   * as `source` (LedgerEntry): the two names are swapped, and kept so for subscribers.
   */
  method: 'measured' | 'estimated';
  /**
   * What gave the figure: the meter's kind (`rapl`, `nvml`, `ina3221`, `battery`,
   * `powermetrics`), or `cpu-model:<family>` when estimated. The ledger's `method`.
   */
  source?: string;
}

export interface TranscriptCarbon {
  gCO2e: number;
  /** Grid intensity used for the figure, gCO2e per kWh. */
  intensityGPerKwh: number;
  /** Where the intensity came from (e.g. `static`, `file`, `electricitymaps`). */
  intensitySource?: string;
}

/** `earshot/<siteId>/transcript/<sourceId>`, QoS 1, one final transcript of a speech segment. */
export interface TranscriptPayload {
  v: typeof PAYLOAD_VERSION;
  /** Stable and unique; the same on every redelivery, so subscribers de-duplicate on it. */
  id: string;
  siteId: string;
  sourceId: string;
  /** Text after the plugins ran. */
  text: string;
  /** Text as the model produced it. */
  rawText: string;
  /** BCP 47 tag, or `und` when unknown. */
  language: string;
  /** Wall-clock start and end of the speech, ISO 8601. */
  startedAt: string;
  endedAt: string;
  /** Start and end as seconds from the start of the source (file or stream). */
  startOffsetSec: number;
  endOffsetSec: number;
  /** Words or tokens with times in seconds from `startOffsetSec`; empty when the model gives none. */
  tokens: TranscriptToken[];
  modelId: string;
  /** Names of the plugins applied to `rawText`, in order. */
  plugins: string[];
  /** Plugins that failed or were set aside for this transcript; the text went on without them. */
  pluginsSkipped?: Array<{ plugin: string; reason: string }>;
  processingMs: number;
  /** Processing time over audio duration; below 1 is faster than real time. */
  rtf: number;
  energy: TranscriptEnergy;
  carbon: TranscriptCarbon;
  /** When the transcript was produced, ISO 8601. */
  ts: string;
  /** Id of the job (segment) in the daemon's queue, when there is one. */
  jobId?: string;
  /** The recording this speech is from: its file name in the spool folder, or the path given to `earshot jobs submit`. Absent for live sources. */
  recording?: string;
}

export type TranscriptInput = Omit<TranscriptPayload, 'v' | 'id' | 'ts'> & { id?: string; ts?: string };

/**
 * A transcript id that stays the same when the same job is transcribed again after a crash
 * (derived from site, source and job id), or a random UUID when there is no job id.
 */
export function transcriptId(siteId: string, sourceId: string, jobId?: string): string {
  if (!jobId) return randomUUID();
  const h = createHash('sha256').update(`${siteId}\0${sourceId}\0${jobId}`).digest('hex');
  // Shaped like a UUID so subscribers can store it in a uuid column.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * A transcript id for a segment of a job that may run on several boxes (a fleet job: on a
 * taker that died, then on the next): the same on each for the same segment of the same
 * audio, cut the same way and heard by the same model, so a subscriber drops the repeat.
 * The cut and model are in it, since another box may cut or hear the audio otherwise: its
 * text then comes under new ids, never under the ids of other words.
 */
export function sharedTranscriptId(scope: string, segment: { modelId: string; cut: string; startSec: number; endSec: number }): string {
  const samples = (sec: number) => Math.round(sec * MODEL_SAMPLE_RATE);
  return transcriptId(scope, segment.modelId, `${segment.cut}\0${samples(segment.startSec)}-${samples(segment.endSec)}`);
}

export function buildTranscript(input: TranscriptInput): TranscriptPayload {
  const { id, ts, ...rest } = input;
  return {
    v: PAYLOAD_VERSION,
    id: id ?? transcriptId(input.siteId, input.sourceId, input.jobId),
    ...rest,
    ts: ts ?? new Date().toISOString(),
  };
}
