import { randomInt } from 'node:crypto';
import type { Logger } from '../log/logger.js';
import type { JobProgressSlot } from '../scheduler/model-lifecycle.js';
import { MODEL_SAMPLE_RATE } from '../audio/types.js';
import { parseJobProgress, progressRecords, PUBLISHING_RECORD, resumeRecord, type FinishedSegment, type ProgressHeader, type ResumePoint } from './job-progress.js';

/**
 * One run's view of a file job's saved progress: where in the audio it starts, which saved
 * segments it may take instead of transcribing them, the generation its new transcripts'
 * ids carry, and the saving of what it finishes. The first save of a run writes the header
 * and every finished segment in place of the old file; later saves append only the new
 * segments.
 */
export class ProgressKeeper {
  /** Saved segments this run may still take, in order from the first. */
  private keepable: FinishedSegment[];
  /** Resume points under the current header, on disk or to be written with the next rewrite. */
  private readonly resumePoints: ResumePoint[];
  /** Finished segments already on disk under the current header. */
  private savedCount = 0;
  private rewrite = true;
  private saveFailed = false;
  /** A generation this run started that is not on disk yet; see beforePublishing. */
  private newGeneration: boolean;
  /**
   * An earlier run published after the last resume point and was not interrupted cleanly
   * (JobProgress.openTail): only the cut from that point gives what it published its ids
   * again, so no later point may be saved under this generation (see saveResumePoint).
   */
  private openTail: boolean;
  /** This run's publishing mark is on disk (see beforePublishing). */
  private publishing = false;

  private constructor(
    private readonly slot: JobProgressSlot,
    private readonly header: ProgressHeader,
    keepable: FinishedSegment[],
    resumePoints: ResumePoint[],
    private readonly jobId: string,
    private readonly logger: Logger,
    newGeneration = false,
    openTail = false,
  ) {
    this.keepable = keepable;
    this.resumePoints = resumePoints;
    this.newGeneration = newGeneration;
    this.openTail = openTail;
  }

  /** What this run builds on, given the model and the cut it will use. */
  static open(slot: JobProgressSlot, now: { modelId: string; cut: string }, jobId: string, logger: Logger): ProgressKeeper {
    const fresh = (generation: number) => new ProgressKeeper(slot, { version: 2, ...now, generation }, [], [], jobId, logger, generation > 0);
    if (slot.saved === undefined) return fresh(0);
    const saved = parseJobProgress(slot.saved);
    if (!saved) {
      // Written by us, atomically: only a damaged disk gets here. What it published is
      // unknown, so the new ids must not meet any earlier generation's.
      logger.warn('saved job progress not understood; the job starts from the beginning', { jobId });
      return fresh(randomInt(1_000_000, 2 ** 31));
    }
    const next = saved.header.generation + 1;
    if (saved.header.modelId !== now.modelId) {
      logger.info('job progress was saved by another model; the job starts from the beginning', { jobId, savedBy: saved.header.modelId, now: now.modelId });
      return fresh(next);
    }
    if (saved.header.cut !== now.cut) {
      logger.info('job progress was saved with other VAD settings; the job starts from the beginning', { jobId });
      return fresh(next);
    }
    // Written back as version 2 by this run's first save, which rewrites the file.
    return new ProgressKeeper(slot, { ...saved.header, version: 2 }, saved.segments, saved.resumePoints, jobId, logger, false, saved.openTail);
  }

  /**
   * Where this run starts reading the audio (in samples at 16 kHz), and the saved segments
   * before that place, which it takes as they are: the last resume point, or the start.
   */
  get start(): { sample: number; kept: FinishedSegment[] } {
    const point = this.resumePoints.at(-1);
    return point ? { sample: point.sample, kept: this.keepable.slice(0, point.segments) } : { sample: 0, kept: [] };
  }

  /** Added to the ids of the transcripts this run makes from here on (0: none). */
  get generation(): number {
    return this.header.generation;
  }

  /**
   * The saved segment `index` when the VAD cut it again at the same place, to be taken as
   * it is. At the first one cut elsewhere, the rest of the saved progress is dropped and a
   * new generation begins.
   */
  take(index: number, startSec: number, endSec: number): FinishedSegment | undefined {
    const saved = this.keepable[index];
    if (!saved) return undefined;
    if (saved.startSec === startSec && saved.endSec === endSec) return saved;
    this.logger.info('the audio is cut differently from the saved progress; transcribing again from here', { jobId: this.jobId, segment: index });
    this.keepable = [];
    this.header.generation += 1;
    this.rewrite = true;
    this.newGeneration = true;
    // What a crashed run published from here on has the old generation's ids: none of this one's.
    this.openTail = false;
    return undefined;
  }

  /**
   * Before this run's first transcript goes out, and a new generation's, the progress is
   * saved with a publishing mark and the current header. Without the mark, a run that
   * published and then could not save (a crash, a full disk) would leave a file that looks
   * cleanly stopped, and the next run could save a resume point before it had cut past what
   * this one published; without the header, a crash would leave the old generation, and
   * the next run could give the same ids to other text. So when this save fails, nothing is
   * published: the error is thrown (a full disk is transient: the job waits and runs again).
   */
  async beforePublishing(finished: FinishedSegment[]): Promise<void> {
    if (this.publishing && !this.newGeneration) return;
    const failed = await this.write(finished, this.publishing ? [] : [PUBLISHING_RECORD], true);
    // `cause` keeps the code (ENOSPC) by which the scheduler tells a shortage.
    if (failed) throw new Error(`job progress could not be saved, so nothing is published until it can: ${failed instanceof Error ? failed.message : String(failed)}`, { cause: failed });
    this.publishing = true;
    this.newGeneration = false;
  }

  /** Saves the segments finished so far. A failed save is said once, and the job goes on. */
  async save(finished: FinishedSegment[]): Promise<void> {
    await this.write(finished, [], this.publishing);
  }

  /**
   * Saves a resume point after the last finished segment, once the run is interrupted with
   * every transcript it published among `finished`: the next run starts there, instead of
   * decoding and cutting the audio again from the start. Nothing is saved when a publish
   * may have gone out unrecorded (the caller's to know) or when nothing is finished.
   */
  async saveResumePoint(finished: FinishedSegment[]): Promise<void> {
    const last = finished.at(-1);
    if (!last || this.resumePoints.at(-1)?.segments === finished.length) return;
    // Saved by a run that was not interrupted cleanly (a crash, or a batch that failed
    // part-way): its transcripts past its last save may be out, under ids that only the cut
    // from the last point gives again. A point here, before this run has cut past them (it
    // cannot know how far they reach), would have the next run cut them from elsewhere
    // under the same ids. This also leaves alone the saved segments this run has not cut
    // again yet. Runs go on cutting from the last point until the job is done, or until a
    // new generation (whose ids nothing published yet) begins.
    if (this.openTail) return;
    const point = { segments: finished.length, sample: Math.round(last.endSec * MODEL_SAMPLE_RATE) };
    this.resumePoints.push(point);
    // Not saved: the point goes too, so that a later rewrite does not put it back. Saved,
    // it ends the file: everything this run published is above it.
    if (await this.write(finished, [resumeRecord(point)], false)) this.resumePoints.pop();
  }

  /**
   * Saves the finished segments not on disk yet, then `after`; a rewrite ends with a
   * publishing mark when `open`. Returns the error of a failed save (said once; the job goes
   * on unless the caller stops it), or undefined.
   */
  private async write(finished: FinishedSegment[], after: unknown[], open: boolean): Promise<unknown> {
    try {
      if (this.rewrite) await this.slot.replace(progressRecords(this.header, finished, this.resumePoints, open));
      else await this.slot.append([...finished.slice(this.savedCount), ...after]);
      this.savedCount = finished.length;
      this.rewrite = false;
      return undefined;
    } catch (err) {
      // A failed append may leave a cut line: the next save writes the whole file again.
      this.rewrite = true;
      if (!this.saveFailed) this.logger.warn('could not save job progress; a restart would transcribe this job from its last save', { jobId: this.jobId, err });
      this.saveFailed = true;
      return err ?? new Error('saving job progress failed');
    }
  }
}
