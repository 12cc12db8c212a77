import { randomInt } from 'node:crypto';
import type { Logger } from '../log/logger.js';
import type { JobProgressSlot } from '../scheduler/model-lifecycle.js';
import { parseJobProgress, type FinishedSegment, type ProgressHeader } from './job-progress.js';

/**
 * One run's view of a file job's saved progress: which saved segments it may take instead
 * of transcribing them, the generation its new transcripts' ids carry, and the saving of
 * what it finishes. The first save of a run writes the header and every finished segment
 * in place of the old file; later saves append only the new segments.
 */
export class ProgressKeeper {
  /** Saved segments this run may still take, in order from the first. */
  private keepable: FinishedSegment[];
  /** Finished segments already on disk under the current header. */
  private savedCount = 0;
  private rewrite = true;
  private saveFailed = false;
  /** A generation this run started that is not on disk yet; see beforePublishing. */
  private newGeneration: boolean;

  private constructor(
    private readonly slot: JobProgressSlot,
    private readonly header: ProgressHeader,
    keepable: FinishedSegment[],
    private readonly jobId: string,
    private readonly logger: Logger,
    newGeneration = false,
  ) {
    this.keepable = keepable;
    this.newGeneration = newGeneration;
  }

  /** What this run builds on, given the model and the cut it will use. */
  static open(slot: JobProgressSlot, now: { modelId: string; cut: string }, jobId: string, logger: Logger): ProgressKeeper {
    const fresh = (generation: number) => new ProgressKeeper(slot, { version: 1, ...now, generation }, [], jobId, logger, generation > 0);
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
    return new ProgressKeeper(slot, saved.header, saved.segments, jobId, logger);
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
    return undefined;
  }

  /**
   * Before the first transcript of a new generation goes out, its header is saved: a crash
   * after publishing would otherwise leave the old header, and the next run, counting from
   * it again, could give the same ids to other text (after another model change).
   */
  async beforePublishing(finished: FinishedSegment[]): Promise<void> {
    if (!this.newGeneration) return;
    await this.save(finished);
    // Not saved: said by save(); the job goes on, with the small risk above.
    this.newGeneration = false;
  }

  /** Saves the segments finished so far. A failed save is said once, and the job goes on. */
  async save(finished: FinishedSegment[]): Promise<void> {
    try {
      if (this.rewrite) await this.slot.replace([this.header, ...finished]);
      else await this.slot.append(finished.slice(this.savedCount));
      this.savedCount = finished.length;
      this.rewrite = false;
    } catch (err) {
      // A failed append may leave a cut line: the next save writes the whole file again.
      this.rewrite = true;
      if (!this.saveFailed) this.logger.warn('could not save job progress; a restart would transcribe this job from its last save', { jobId: this.jobId, err });
      this.saveFailed = true;
    }
  }
}
