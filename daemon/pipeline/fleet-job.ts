import { createHash } from 'node:crypto';
import { basename, extname } from 'node:path';
import { validateJobId } from '../scheduler/job-id.js';
import type { JobOfferPayload } from '../mqtt/payloads/job.js';

/**
 * What a fleet offer carries for a transcription: the recording itself, base64 in the
 * offer's `job` field. Embedding the audio works on every box of a group, whatever storage
 * each one mounts; the price is a size limit, since the whole message passes through the
 * broker and sits in the offerer's memory until the job is done.
 */
export interface FleetTranscribeJob {
  kind: 'transcribe';
  /** The file's name on the offering box, for logs and the taker's file extension. */
  fileName: string;
  bytes: number;
  /** Hex SHA-256 of the audio, so a taker refuses a truncated or altered payload. */
  sha256: string;
  /** The file's bytes, base64. */
  audio: string;
  /**
   * The file's modification time on the offering box (ISO 8601): the taker dates the
   * transcripts by it, as for its own files (recordingStartMs), not by when it ran the job.
   * Absent from offers of older versions.
   */
  modifiedAt?: string;
}

/** What a taker sends back in its `done` payload: enough for the offerer to record the job. */
export interface FleetTranscribeResult {
  /** The id the taker's own queue ran it under (`<fleet job id>.a<attempt>`). */
  localJobId: string;
  takenBy: string;
  text: string;
  transcripts: Array<{ id: string; text: string; startOffsetSec: number; endOffsetSec: number }>;
  audioSec: number;
  speechSec: number;
  processingMs: number;
  joules: number;
}

/** Builds the job for a file already read; refuses one over the limit with the way out. */
export function encodeFleetJob(path: string, audio: Buffer, maxBytes: number, modifiedMs: number): FleetTranscribeJob {
  checkFleetSize(audio.length, maxBytes);
  return { kind: 'transcribe', fileName: basename(path), bytes: audio.length, sha256: sha256(audio), audio: audio.toString('base64'), modifiedAt: new Date(modifiedMs).toISOString() };
}

/** Refuses a recording the fleet cannot carry, before it is read into memory. */
export function checkFleetSize(bytes: number, maxBytes: number): void {
  if (bytes > maxBytes) {
    throw new Error(`${bytes} bytes is over the fleet limit of ${maxBytes} bytes (the audio travels inside the MQTT offer); submit it without --fleet so this box transcribes it, or split the recording`);
  }
  if (bytes === 0) throw new Error('the file is empty; there is nothing to transcribe');
}

/** A taken offer, checked: the id this box runs it under, and its audio. */
export interface DecodedFleetJob {
  /** `<fleet job id>.a<attempt>`: the local queue id and the inbox file's name. */
  localId: string;
  fileName: string;
  /** The inbox file's extension: the offered name's, when short and plain, else `.wav`. */
  extension: string;
  audio: Buffer;
  /** The recording's modification time on the offering box, when the offer says. */
  modifiedMs?: number;
}

/** Checks an offer from the wire and returns its audio; every problem names the field and the offerer. */
export function decodeFleetJob(offer: Pick<JobOfferPayload, 'jobId' | 'attempt' | 'offeredBy' | 'job'>, maxBytes: number): DecodedFleetJob {
  const { job, offeredBy } = offer;
  const where = `fleet job ${JSON.stringify(String(offer.jobId).slice(0, 80))} from ${offeredBy}`;
  // The id comes from another box and names a file in the inbox and the queue: checked first.
  let localId: string;
  try {
    localId = validateJobId(`${offer.jobId}.a${offer.attempt}`);
  } catch (err) {
    throw new Error(`${where}: the job id and attempt cannot name a file here (${(err as Error).message}); the offering box must use plain ids`);
  }
  if (job.kind !== 'transcribe') throw new Error(`${where}: job.kind ${JSON.stringify(job.kind)} is not "transcribe"; the offering box runs a newer earshot than this one`);
  if (typeof job.fileName !== 'string' || job.fileName.length === 0) throw new Error(`${where}: job.fileName is missing`);
  if (typeof job.bytes !== 'number' || !Number.isInteger(job.bytes) || job.bytes <= 0) throw new Error(`${where}: job.bytes must be a positive integer`);
  if (job.bytes > maxBytes) throw new Error(`${where}: ${job.bytes} bytes is over this box's limit of ${maxBytes} bytes; raise mqtt.fleet.maxAudioBytes here to match the offering box, or lower it there`);
  if (typeof job.audio !== 'string') throw new Error(`${where}: job.audio (base64 of the recording) is missing`);
  if (typeof job.sha256 !== 'string') throw new Error(`${where}: job.sha256 is missing`);
  const modifiedMs = job.modifiedAt === undefined ? undefined : Date.parse(String(job.modifiedAt));
  if (modifiedMs !== undefined && (typeof job.modifiedAt !== 'string' || !Number.isFinite(modifiedMs))) throw new Error(`${where}: job.modifiedAt must be an ISO 8601 time`);
  // A payload longer than its declared size would be is refused before it is decoded into memory.
  if (job.audio.length > Math.ceil(job.bytes / 3) * 4) {
    throw new Error(`${where}: job.audio holds ${job.audio.length} base64 characters, more than job.bytes (${job.bytes}) allows; the offer was damaged or altered on the way`);
  }
  const audio = Buffer.from(job.audio, 'base64');
  if (audio.length !== job.bytes || sha256(audio) !== job.sha256) {
    throw new Error(`${where}: the audio of ${job.fileName} does not match its size/sha256 (${audio.length} of ${job.bytes} bytes); the offer was damaged on the way`);
  }
  // Only a short plain extension survives: the file name itself never reaches the file system.
  const ext = extname(job.fileName).toLowerCase();
  const extension = /^\.[a-z0-9]{1,5}$/.test(ext) ? ext : '.wav';
  return { localId, fileName: job.fileName, extension, audio, ...(modifiedMs !== undefined ? { modifiedMs } : {}) };
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
