import { decodeAll } from '../audio/decode-file.js';
import { DecoderStopped } from '../audio/decoder-stopped.js';
import { MODEL_SAMPLE_RATE } from '../audio/types.js';
import { detectFileSegments } from '../vad/detect-file.js';
import type { SegmenterSettings } from '../vad/sensitivity.js';
import type { SpeechSegment, VoiceDetector } from '../vad/types.js';
import type { JobEnergy } from '../energy/job-energy.js';
import { buildTranscript, sharedTranscriptId, transcriptId, type TranscriptPayload } from '../mqtt/payloads/transcript.js';
import type { Logger } from '../log/logger.js';
import type { EnergySpan, IntensityNow, JobOutcome, SpeechRecognizer, TranscriptionJob, TranscriptPostProcessor, TranscriptSink } from './types.js';
import type { JobProgressSlot } from '../scheduler/model-lifecycle.js';
import { JobInterrupted } from '../scheduler/job-interrupted.js';
import type { FinishedSegment } from './job-progress.js';
import { ProgressKeeper } from './progress-keeper.js';
import { SkippedPluginsLog } from './skipped-plugins-log.js';
import { describeMissing } from '../plugins/required-plugins.js';
import { transcriptLanguage } from './transcript-language.js';
import { checkFileUnchangedSince, fileAtStart } from './submitted-file-unchanged.js';
import { REQUIRED_PLUGIN_FAILED, REQUIRED_PLUGIN_MISSING } from '../shortage/transient-errors.js';

export interface JobProcessorOptions<S> {
  siteId: string;
  recognizer: () => Promise<SpeechRecognizer>;
  plugins: TranscriptPostProcessor;
  sink: TranscriptSink;
  energy: EnergySpan<S>;
  carbon: IntensityNow;
  /**
   * Makes a detector for file jobs. The processor keeps one per file job running at once
   * (reset between files): a detector's state belongs to one recording.
   */
  detector: () => Promise<VoiceDetector>;
  vad: SegmenterSettings;
  /** Segments transcribed in one inference call (padding with lengths). */
  batchSize: number;
  logger: Logger;
  clock?: () => number;
}

/** What the scheduler gives one run of a job: its stop signal and its saved progress. */
export interface JobRun {
  signal?: AbortSignal;
  progress?: JobProgressSlot;
}

/** A job failed for a reason that retrying will not fix (bad audio, unreadable file). */
export class JobInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JobInputError';
  }
}

/**
 * Runs one job end to end: audio → speech segments → ASR (batched) → plugins → transcript
 * payloads → the durable outbox. Transcript ids derive from the job id and the segment's
 * index, so a job re-run after a crash publishes the same ids and subscribers de-duplicate;
 * a fleet job's from its scope and the segment itself, the same on every box (idScope).
 */
export class JobProcessor<S> {
  /**
   * File detectors no job is using. Two file jobs on one detector would mix their audio in
   * its state (and each start would reset the other's), so their cuts, and the ids a resumed
   * run must find again, would depend on how their reads interleave.
   */
  private readonly idleDetectors: VoiceDetector[] = [];

  private readonly skippedLog: SkippedPluginsLog;

  constructor(private readonly options: JobProcessorOptions<S>) {
    this.skippedLog = new SkippedPluginsLog(options.logger);
  }

  async process(job: TranscriptionJob, run: JobRun = {}): Promise<JobOutcome> {
    if (job.kind === 'segment') return this.processWith(job, run, undefined);
    const detector = this.idleDetectors.pop() ?? (await this.options.detector());
    try {
      return await this.processWith(job, run, detector);
    } finally {
      this.idleDetectors.push(detector);
    }
  }

  private async processWith(job: TranscriptionJob, run: JobRun, fileDetector: VoiceDetector | undefined): Promise<JobOutcome> {
    const clock = this.options.clock ?? Date.now;
    const started = clock();
    const outcome: JobOutcome = { jobId: job.id, text: '', transcripts: [], audioSec: 0, speechSec: 0, processingMs: 0, joules: 0 };
    /** The segments finished so far, in order: what a saved progress holds. */
    const finished: FinishedSegment[] = [];
    const take = (segment: FinishedSegment) => {
      finished.push(segment);
      outcome.transcripts.push(...segment.transcripts);
      outcome.joules += segment.joules;
    };
    let batch: SpeechSegment[] = [];
    let index = 0;
    /** A file job's saved progress, which also says the generation of its new transcripts' ids. */
    let progress: ProgressKeeper | undefined;
    const flush = async () => {
      if (batch.length === 0) return;
      const segments = batch;
      batch = [];
      const published = await this.transcribeBatch(job, segments, index, progress?.generation ?? 0, fileDetector && this.cutOf(fileDetector));
      index += segments.length;
      segments.forEach((s, i) => {
        const t = published[i];
        take({ startSec: s.startSec, endSec: s.endSec, transcripts: t ? [{ id: t.id, text: t.text, rawText: t.rawText, startOffsetSec: t.startOffsetSec, endOffsetSec: t.endOffsetSec }] : [], joules: t?.energy.joules ?? 0 });
      });
    };

    if (job.kind === 'segment') {
      // One batch: its only safe point is before it starts.
      if (run.signal?.aborted) throw new JobInterrupted(job.id, 0);
      const samples = await decodeOrFail(job.path);
      assertFinite(samples, job.path, job.offsetSec ?? 0);
      const startedAtMs = job.startedAtMs ?? clock();
      const offset = job.offsetSec ?? 0;
      outcome.audioSec = samples.length / MODEL_SAMPLE_RATE;
      outcome.speechSec = outcome.audioSec;
      batch.push({
        sourceId: job.sourceId,
        startSec: offset,
        endSec: offset + outcome.audioSec,
        startedAt: new Date(startedAtMs).toISOString(),
        sampleRate: MODEL_SAMPLE_RATE,
        samples,
      });
      await flush();
    } else {
      const detector = fileDetector!;
      detector.reset();
      const fileSeen = await fileAtStart(job);
      progress = run.progress ? ProgressKeeper.open(run.progress, { modelId: (await this.options.recognizer()).id, cut: this.cutOf(detector) }, job.id, this.options.logger) : undefined;
      // The part before the last resume point is done and published: taken whole, not read again.
      const start = progress?.start ?? { sample: 0, kept: [] };
      start.kept.forEach(take);
      let kept = start.kept.length;
      let seen = kept;
      index = kept;
      /** Speech in the part not read again; the detector counts the rest. */
      const skippedSpeechSec = start.kept.reduce((sum, s) => sum + (s.endSec - s.startSec), 0);
      /** True once a batch failed part-way: some of its transcripts may be out but not among `finished`. */
      let unrecorded = false;
      let result;
      try {
        result = await detectFileSegments(job.path, {
          sourceId: job.sourceId,
          ...(job.within ? { decode: { within: job.within } } : {}),
          ...(run.signal ? { signal: run.signal } : {}),
          detector,
          settings: this.options.vad,
          fromSample: start.sample,
          ...(job.startedAtMs !== undefined ? { startedAtMs: job.startedAtMs } : {}),
          onSegment: async (segment) => {
            run.signal?.throwIfAborted();
            const at = seen++;
            const saved = progress?.take(at, segment.startSec, segment.endSec);
            if (saved) {
              // Finished by an earlier run: its transcripts are already in the outbox.
              take(saved);
              index = at + 1;
              kept++;
              return;
            }
            assertFinite(segment.samples, job.path, segment.startSec);
            batch.push(segment);
            if (batch.length >= this.options.batchSize) {
              // Errors past this point (progress, ASR, plugins, outbox) are not the file's fault.
              await progress?.beforePublishing(finished).catch((err: unknown) => {
                throw new DownstreamFailure(err);
              });
              await flush().catch((err: unknown) => {
                unrecorded = true;
                throw new DownstreamFailure(err);
              });
              await progress?.save(finished);
            }
          },
        });
      } catch (err) {
        if (err instanceof JobInputError) throw err;
        if (run.signal?.aborted) {
          const cause = err instanceof DownstreamFailure ? err.cause : err;
          if (cause !== run.signal.reason) this.options.logger.info('a job being interrupted also failed; it runs again', { jobId: job.id, err: cause });
          if (!unrecorded) await progress?.saveResumePoint(finished);
          throw new JobInterrupted(job.id, finished.length);
        }
        if (err instanceof DownstreamFailure) throw err.cause;
        throw asInputError(err, job.path);
      }
      // Read to its end: changed meanwhile, what was read may be of two recordings.
      await checkFileUnchangedSince(job, fileSeen).catch((err: Error) => {
        throw new JobInputError(err.message);
      });
      if (batch.length > 0) await progress?.beforePublishing(finished);
      await flush();
      outcome.audioSec = result.durationSec;
      outcome.speechSec = skippedSpeechSec + result.speechSec;
      if (kept > 0) this.options.logger.info('job resumed from its saved progress', { jobId: job.id, segmentsKept: kept, segmentsTranscribed: finished.length - kept, ...(start.sample > 0 ? { readFromSec: start.sample / MODEL_SAMPLE_RATE } : {}) });
    }
    outcome.processingMs = clock() - started;
    outcome.text = outcome.transcripts.map((t) => t.text).join(' ');
    return outcome;
  }

  /** The detector and segmenter settings that cut a file: another cut gives other segments. */
  private cutOf(detector: VoiceDetector): string {
    return `${detector.name} ${JSON.stringify(this.options.vad)}`;
  }

  /**
   * Transcribes and publishes a batch; returns each segment's transcript (undefined: no words).
   * `cut`: the file's cut (cutOf), for ids shared beyond this job (TranscriptionJob.idScope).
   */
  private async transcribeBatch(job: TranscriptionJob, segments: SpeechSegment[], firstIndex: number, generation: number, cut: string | undefined): Promise<Array<TranscriptPayload | undefined>> {
    const { siteId, plugins, sink, energy, carbon, logger } = this.options;
    const clock = this.options.clock ?? Date.now;
    const recognizer = await this.options.recognizer();
    const span = await energy.begin();
    const t0 = clock();
    const hotwords = plugins.hotwords();
    const results = await recognizer.transcribeBatch(
      segments.map((s) => s.samples),
      hotwords.length > 0 ? { hotwords } : {},
    );
    // Each segment's language and place in the job, for its plugins and its payload alike.
    const languages = results.map((r) => transcriptLanguage(r.language, recognizer.languages));
    const keys = segments.map((_, i) => segmentKey(idBase(job), firstIndex + i, generation));
    const processed = await Promise.all(
      results.map((r, i) =>
        plugins.process({
          text: r.text,
          words: r.words.map((w) => ({ text: w.word, start: w.startSec, end: w.endSec })),
          language: languages[i]!,
          segment: segmentInfo(job, segments[i]!, keys[i]!),
        }),
      ),
    );
    // None of the batch goes out while a required plugin did not run on part of it: the job
    // waits and runs the batch again (a file job from its last saved batch).
    const missing = processed.find((p) => p.requiredMissing !== undefined)?.requiredMissing;
    // One it ran and failed on is counted (scheduler): a transcript it always fails on must not come back for ever.
    if (missing) throw Object.assign(new Error(`transcripts held back: ${describeMissing(missing)}`), { code: missing.some((m) => m.failedOnIt) ? REQUIRED_PLUGIN_FAILED : REQUIRED_PLUGIN_MISSING });
    const spent = await energy.end(span);
    const processingMs = clock() - t0;
    const totalSec = segments.reduce((sum, s) => sum + (s.endSec - s.startSec), 0) || 1;
    const intensity = carbon.current(clock());
    const out: Array<TranscriptPayload | undefined> = [];
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i]!;
      const asr = results[i]!;
      const post = processed[i]!;
      const durationSec = segment.endSec - segment.startSec;
      const share = durationSec / totalSec;
      this.skippedLog.transcript(job.id, post.skipped);
      if (post.text.trim() === '') {
        logger.debug('no words in segment; nothing published', { jobId: job.id, startSec: segment.startSec });
        out.push(undefined);
        continue;
      }
      const transcript = buildTranscript({
        id: job.idScope !== undefined && cut !== undefined ? sharedTranscriptId(job.idScope, { modelId: recognizer.id, cut, startSec: segment.startSec, endSec: segment.endSec }) : transcriptId(siteId, job.sourceId, keys[i]!),
        jobId: job.id,
        ...(job.recording !== undefined ? { recording: job.recording } : {}),
        siteId,
        sourceId: job.sourceId,
        text: post.text,
        rawText: asr.text,
        language: languages[i]!,
        startedAt: segment.startedAt,
        endedAt: new Date(Date.parse(segment.startedAt) + durationSec * 1000).toISOString(),
        startOffsetSec: round(segment.startSec, 3),
        endOffsetSec: round(segment.endSec, 3),
        tokens: post.words.map((w) => ({ text: w.text, start: round(w.start, 3), end: round(w.end, 3) })),
        modelId: recognizer.id,
        plugins: post.applied,
        ...(post.skipped.length > 0 ? { pluginsSkipped: post.skipped.map((s) => ({ plugin: s.plugin, reason: s.reason })) } : {}),
        processingMs: Math.round(processingMs * share),
        rtf: round(processingMs / 1000 / totalSec, 4),
        energy: energyOf(spent, share),
        carbon: {
          gCO2e: round((spent.kWh * share) * intensity.gPerKWh, 6),
          intensityGPerKwh: intensity.gPerKWh,
          intensitySource: intensity.status === 'live' ? intensity.source : `${intensity.source} (${intensity.status})`,
        },
      });
      await sink.publishTranscript(transcript);
      out.push(transcript);
    }
    return out;
  }
}

function energyOf(spent: JobEnergy, share: number): TranscriptPayload['energy'] {
  return { joules: round(spent.joules * share, 3), method: spent.source, source: spent.method };
}

function segmentInfo(job: TranscriptionJob, segment: SpeechSegment, key: string) {
  return { sourceId: job.sourceId, segmentId: key, startedAt: Date.parse(segment.startedAt) / 1000, duration: segment.endSec - segment.startSec };
}

/**
 * What a job's transcript ids derive from: its id, and for a job put back by `jobs retry`
 * the retry too. A retried job starts over (its progress went with the failure), perhaps on
 * a file put back with other audio: its words must not come under ids an earlier try used.
 */
function idBase(job: TranscriptionJob): string {
  return job.retries ? `${job.id}~retry${job.retries}` : job.id;
}

/** A segment's place in its job, which its transcript id derives from: `<job>#<index>`, and `/<generation>` after one. */
function segmentKey(jobId: string, index: number, generation: number): string {
  return generation === 0 ? `${jobId}#${index}` : `${jobId}#${index}/${generation}`;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

async function decodeOrFail(path: string): Promise<Float32Array> {
  try {
    return await decodeAll(path);
  } catch (err) {
    throw asInputError(err, path);
  }
}

/** Carries an ASR/plugin/outbox error out through the decoder loop without blaming the input. */
class DownstreamFailure extends Error {
  constructor(override readonly cause: unknown) {
    super('downstream failure');
  }
}

/** NaN or infinite samples (a corrupt float file) would reach the model as garbage; refuse them. */
function assertFinite(samples: Float32Array, path: string, offsetSec: number): void {
  for (let i = 0; i < samples.length; i++) {
    if (!Number.isFinite(samples[i]!)) {
      throw new JobInputError(`${path}: sample ${i} at ${(offsetSec + i / MODEL_SAMPLE_RATE).toFixed(3)} s is ${samples[i]}; the file is corrupt (NaN/Inf audio)`);
    }
  }
}

function asInputError(err: unknown, path: string): Error {
  // A decoder stopped by a signal (the unit or terminal stopping) says nothing of the file: the
  // scheduler postpones it as transient, and the job resumes after the restart.
  if (err instanceof DecoderStopped) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new JobInputError(message.includes(path) ? message : `${path}: ${message}`);
}

