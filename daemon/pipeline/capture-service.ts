import { createHash } from 'node:crypto';
import type { EventBus } from '../bus.js';
import type { Logger } from '../log/logger.js';
import type { Service, ServiceState } from '../service.js';
import type { SourceConfig } from '../audio/sources/config.js';
import { SourceSet } from '../audio/sources/source-set.js';
import { buildSources, type VadConfig } from '../vad/build-sources.js';
import type { SpeechSegment } from '../vad/types.js';
import type { LiveVad } from '../vad/live-vad.js';
import type { OpenSpeech } from '../vad/segmenter.js';
import type { JobQueue } from '../scheduler/job-queue.js';
import type { Priority } from '../scheduler/policy.js';
import type { SegmentStore } from './segment-store.js';

export interface CaptureServiceOptions {
  sources: SourceConfig[];
  vad: VadConfig;
  queue: JobQueue;
  segments: SegmentStore;
  bus: EventBus;
  /** Wakes the scheduler when a segment is queued. */
  poke: () => void;
  /** Why no job can run now (the model cannot be loaded, a required plugin is off), if so. */
  whyNoJobRuns?: () => string | undefined;
  logger: Logger;
}

/** How often a live source held back by its backlog looks again. */
const BACKLOG_POLL_MS = 100;
const HELD_BACK_SAID_EVERY_MS = 60_000;

/**
 * Sources → VAD → speech segments saved durably → the job queue. A spool recording's
 * segments are batch work (the scheduler may wait for a cleaner grid); a live source's are
 * `live` and never deferred. A spool file only leaves the folder once all its segments are
 * queued, so a crash in between re-reads it and, with ids derived from the audio's place in
 * time, queues no duplicates.
 */
export class CaptureService implements Service {
  readonly name = 'sources';
  private sourceSet: SourceSet | undefined;
  private readonly priorities = new Map<string, Priority>();
  /** Each live source's maxQueuedSegments (a spool source has none); see waitForLiveRoom. */
  private readonly maxQueued = new Map<string, number>();
  private stopping = false;
  /** Live segments queued in this run and not finished yet, by source (counted here: the queue may hold 100,000 batch jobs). */
  private readonly liveWaiting = new Map<string, Set<string>>();
  /** When each live source was last said to be held back: at most once a minute each. */
  private readonly heldBackSaid = new Map<string, number>();

  constructor(private readonly options: CaptureServiceOptions) {}

  async start(): Promise<void> {
    const { sources, vad, segments, bus, logger } = this.options;
    this.stopping = false;
    await segments.open();
    for (const s of sources) {
      this.priorities.set(s.id, s.type === 'spool' ? 'batch' : 'live');
      if (s.type !== 'spool') this.maxQueued.set(s.id, s.maxQueuedSegments);
    }
    const cleanUp = (id: string, input: string, sourceId: string | undefined) => {
      if (sourceId !== undefined) this.liveWaiting.get(sourceId)?.delete(id);
      if (segments.isSegment(input)) void segments.remove(id).catch((err) => logger.warn('could not remove a finished segment', { id, err }));
    };
    bus.on(this, 'jobDone', ({ job }) => cleanUp(job.id, job.input, job.sourceId));
    bus.on(this, 'jobFailed', ({ job }) => cleanUp(job.id, job.input, job.sourceId));
    this.sourceSet = new SourceSet(buildSources(sources, { logger, vad, onSegment: (segment) => this.queueSegment(segment), onLiveVad: (live) => this.liveVads.push(live) }), logger);
    await this.sourceSet.start();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.options.bus.removeOwner(this);
    await this.sourceSet?.stop();
    this.sourceSet = undefined;
    this.liveVads = [];
  }

  state(): ServiceState {
    const list = this.sourceSet?.status() ?? [];
    if (list.length === 0) return { state: this.sourceSet ? 'idle' : 'stopped', detail: 'no sources configured' };
    const failed = list.filter((s) => s.state === 'failed');
    const troubled = list.filter((s) => s.problem !== undefined);
    const shown = list.map((s) => {
      if (s.problem) return `${s.id}:${s.state} (${s.problem})`;
      if (s.state !== 'failed') return `${s.id}:${s.state}${s.detail ? ` (${s.detail})` : ''}`;
      const why = s.error && s.error.length > 160 ? `${s.error.slice(0, 157)}...` : s.error;
      return `${s.id}:failed (${why ?? 'unknown error'}${s.retryInSec !== undefined ? `; next try in ${s.retryInSec} s` : ''})`;
    });
    if (failed.length === 0 && troubled.length === 0) return { state: 'running', detail: shown.join(' ') };
    const problems = [...(failed.length > 0 ? [`${failed.length === 1 ? 'source' : 'sources'} ${failed.map((s) => s.id).join(', ')} failed`] : []), ...troubled.map((s) => `source ${s.id}: ${s.problem}`)];
    return { state: 'degraded', detail: shown.join(' '), problem: problems.join('; ') };
  }

  /** Recordings waiting in spool folders, not read yet. */
  recordingsWaiting(): Promise<number> {
    return this.sourceSet?.recordingsWaiting() ?? Promise.resolve(0);
  }

  /** Per-source state for `earshot status`. */
  sources(): ReturnType<SourceSet['status']> {
    return this.sourceSet?.status() ?? [];
  }

  private async waitForLiveRoom(sourceId: string, max: number): Promise<void> {
    const full = () => (this.liveWaiting.get(sourceId)?.size ?? 0) >= max;
    if (!full()) return;
    const now = Date.now();
    if (now - (this.heldBackSaid.get(sourceId) ?? -Infinity) >= HELD_BACK_SAID_EVERY_MS) {
      this.heldBackSaid.set(sourceId, now);
      const setting = `sources (id ${JSON.stringify(sourceId)}).maxQueuedSegments`;
      // Held for a reason of the daemon's own, the sender is not to blame.
      const held = this.options.whyNoJobRuns?.();
      this.options.logger.warn(
        held !== undefined
          ? `live source ${sourceId}: ${max} segments wait (${setting}) because no job can run: ${held}; reading from it pauses until they can`
          : `live source ${sourceId} gives speech faster than it is transcribed: ${max} segments wait (${setting}); reading from it pauses while they do (is the sender faster than real time, or its format wrong?)`,
        { sourceId },
      );
    }
    await waitWhile(full, () => this.stopping);
  }

  // --- Live partials (partial-publisher.ts) ---------------------------------------------
  private liveVads: LiveVad[] = [];

  /** The speech open right now on each live source, for the partial publisher. */
  openSpeech(): OpenSpeech[] {
    return this.liveVads.map((live) => live.openSpeech()).filter((s): s is OpenSpeech => s !== null);
  }

  /**
   * A live segment's job id is its speech id, known from the speech's first hop, so the
   * partials published while it was open name the id of its final transcript.
   */
  private jobIdOf(segment: SpeechSegment): string {
    return this.priorities.get(segment.sourceId) === 'live' && segment.speechId ? segment.speechId : segmentJobId(segment);
  }
  // ----------------------------------------------------------------------------------------

  private async queueSegment(segment: SpeechSegment): Promise<void> {
    const maxQueued = this.maxQueued.get(segment.sourceId);
    if (maxQueued !== undefined) await this.waitForLiveRoom(segment.sourceId, maxQueued);
    const id = this.jobIdOf(segment);
    const input = await this.options.segments.save(id, segment);
    const priority = this.priorities.get(segment.sourceId) ?? 'live';
    // Counted before it is queued, so its end (jobDone) can never come first.
    const waiting = priority === 'live' ? (this.liveWaiting.get(segment.sourceId) ?? new Set<string>()) : undefined;
    if (waiting) this.liveWaiting.set(segment.sourceId, waiting.add(id));
    try {
      // The recording's name goes in the queue's record too: `jobs list`, `get` and `export`
      // name it instead of the segment's file, which is gone once the job is done.
      const recording = segment.recording !== undefined ? { recording: segment.recording } : {};
      const submitted = await this.options.queue.submit({ id, input, priority, sourceId: segment.sourceId, audioSeconds: segment.endSec - segment.startSec, ...recording });
      if (!submitted.created) waiting?.delete(id);
    } catch (err) {
      waiting?.delete(id);
      throw err;
    }
    this.options.poke();
  }
}

/**
 * Live speech is never deferred, but a sender can still give it faster than the box
 * transcribes: audio sent faster than real time, or a model too slow for the source. Each
 * segment would become a job and the queue (and the disk under it) would grow without end.
 * So while a live source has `maxQueuedSegments` segments waiting, the next one waits here;
 * reading from the source waits with it, and the socket or pipe that fills slows the sender
 * down instead.
 */
async function waitWhile(full: () => boolean, stopping: () => boolean): Promise<void> {
  while (full() && !stopping()) await new Promise((r) => setTimeout(r, BACKLOG_POLL_MS));
}

/**
 * The same speech always gets the same job id: the same source, start time and offsets,
 * and the same samples. A file handled again after a crash, or a copy of a recording
 * dropped again under another name, is not transcribed twice. The samples are part of it
 * because two different recordings of the same length can carry the same mtime (copies
 * that keep their times, shares with coarse timestamps): taken for one another, the second
 * one's speech was found done and dropped.
 */
export function segmentJobId(segment: SpeechSegment): string {
  const hash = createHash('sha256').update(`${segment.sourceId}\0${segment.startedAt}\0${segment.startSec.toFixed(4)}\0${segment.endSec.toFixed(4)}\0`);
  hash.update(new Uint8Array(segment.samples.buffer, segment.samples.byteOffset, segment.samples.byteLength));
  return `s-${hash.digest('hex').slice(0, 24)}`;
}
