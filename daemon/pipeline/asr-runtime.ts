import { statSync, readdirSync } from 'node:fs';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { loadModel } from '../asr/recognizer.js';
import type { ExecutionProvider, GraphOptimization } from '../asr/session.js';
import type { AsrStream, LoadedModel, StreamOptions, TranscribeOptions, AsrResult } from '../asr/types.js';
import type { Logger } from '../log/logger.js';
import { packageRoot } from '../paths.js';
import type { JobRecord } from '../scheduler/job-queue.js';
import type { ModelRuntime, RunOptions } from '../scheduler/model-lifecycle.js';
import type { JobOutcome, SpeechRecognizer, TranscriptionJob } from './types.js';
import { ModelUsers } from './model-users.js';

/** The validated `model` config section. */
export interface ModelConfig {
  dir: string;
  providers: ExecutionProvider[];
  threads: number;
  graphOptimization: GraphOptimization;
  decoding: { method: 'greedy' | 'beam'; beamSize: number; hotwordBoost: number };
}

export interface AsrRuntimeOptions {
  config: ModelConfig;
  logger: Logger;
  /** Runs a job once the model is loaded (the JobProcessor), with its stop signal and saved progress. */
  process: (job: TranscriptionJob, run: Pick<RunOptions, 'signal' | 'progress'>) => Promise<JobOutcome>;
  /** How a queued job maps to audio: spool/CLI files and saved live segments. */
  describe: (job: JobRecord) => Promise<TranscriptionJob>;
}

/** A model directory from config: relative paths are relative to the installed package. */
export function resolveModelDir(dir: string): string {
  return isAbsolute(dir) ? dir : resolve(packageRoot, dir);
}

/**
 * The ASR engine as the scheduler's ModelRuntime: loads and releases the ONNX model on the
 * lifecycle's word, and runs jobs through the pipeline with the configured decoding.
 */
export class AsrRuntime implements ModelRuntime<JobOutcome> {
  private current: ModelUsers | undefined;
  private bytes = 0;
  /** Bumped by each load, reload and unload: an open that another came during is stale. */
  private generation = 0;
  /** Models loaded again with other threads, still finishing what runs on them. */
  private readonly retiring = new Set<Promise<void>>();

  constructor(private readonly options: AsrRuntimeOptions) {}

  /** `threads`: the policy's count, which `model.threads` bounds (see schedulerLimits). */
  async load(threads: number): Promise<void> {
    if (this.current) return;
    const generation = this.generation;
    this.install(await this.open(threads, this.options.config.providers), generation);
  }

  /**
   * Loads the model again with `threads` beside the loaded one, then puts it in its place:
   * each batch or partial decode from then on runs on the new session, and those running
   * on the old one finish there before it is released (in the background: this resolves
   * once the new one is in place). Nothing waits and nothing is interrupted; for a moment
   * both sessions are in memory.
   */
  async reload(threads: number): Promise<void> {
    const old = this.current;
    const generation = this.generation;
    // On the provider the loaded model runs on: only its thread count is to change.
    const model = await this.open(threads, old ? [old.model.provider] : this.options.config.providers);
    if (!this.install(model, generation) || !old) return;
    const released: Promise<void> = old
      .retire()
      .catch((err: unknown) => this.options.logger.warn('could not release the ASR model loaded before', { err }))
      .finally(() => this.retiring.delete(released));
    this.retiring.add(released);
  }

  async unload(): Promise<void> {
    const old = this.current;
    this.current = undefined;
    this.generation++;
    this.bytes = 0;
    // The lifecycle waits for jobs; partial decodes run outside jobs, and a reload's old
    // model may still be finishing: the release waits for what runs on each.
    await Promise.allSettled([...this.retiring, old?.retire()]);
  }

  loaded(): boolean {
    return this.current !== undefined;
  }

  device(): string {
    return this.current?.model.provider ?? 'none';
  }

  residentBytes(): number {
    return this.bytes;
  }

  /** The loaded model's card languages (transcriptLanguage); undefined while none is loaded. */
  loadedModelLanguages(): readonly string[] | undefined {
    return this.current?.model.languages;
  }

  /** The loaded model's id (what transcripts carry as modelId); undefined while none is. */
  loadedModelId(): string | undefined {
    return this.current?.model.id;
  }

  /** The loaded model as the pipeline sees it, with decoding options from config. */
  recognizer(): SpeechRecognizer {
    const current = this.current;
    if (!current) throw new Error('the ASR model is not loaded');
    const { decoding } = this.options.config;
    return {
      id: current.model.id,
      languages: current.model.languages,
      // On the model loaded at the call: a reload between two batches moves the job to the new session.
      transcribeBatch: (segments: readonly Float32Array[], options: TranscribeOptions = {}): Promise<AsrResult[]> =>
        this.users().use((model) =>
          model.transcribeBatch(segments, {
            method: decoding.method,
            beamSize: decoding.beamSize,
            ...options,
            ...(options.hotwords ? { hotwords: options.hotwords.map((h) => ({ phrase: h.phrase, boost: h.boost || decoding.hotwordBoost })) } : {}),
          }),
        ),
    };
  }

  /**
   * A live stream on the loaded model, for partial transcripts; never loads the model. A
   * stream keeps the model it began on: after a reload its next decode is refused
   * (ModelRetiredError), and its caller starts a new one.
   */
  createStream(options: StreamOptions = {}): AsrStream {
    const users = this.users();
    const { decoding } = this.options.config;
    const stream = users.model.createStream({ method: decoding.method, beamSize: decoding.beamSize, ...options });
    return {
      accept: (samples) => stream.accept(samples),
      partial: () => users.use(() => stream.partial()),
      finish: () => users.use(() => stream.finish()),
      get durationSec() {
        return stream.durationSec;
      },
    };
  }

  private users(): ModelUsers {
    if (!this.current) throw new Error('the ASR model is not loaded');
    return this.current;
  }

  private open(threads: number, providers: ExecutionProvider[]): Promise<LoadedModel> {
    const { config, logger } = this.options;
    return loadModel(resolveModelDir(config.dir), { providers, threads, graphOptimization: config.graphOptimization, logger });
  }

  /**
   * Puts a model just opened in place, unless a load or unload came while it was opened
   * (the lifecycle serializes them; this keeps a stray one from leaking a session): then it
   * is released at once. Returns whether it was put in place.
   */
  private install(model: LoadedModel, generation: number): boolean {
    if (generation !== this.generation) {
      void model.release().catch((err: unknown) => this.options.logger.warn('could not release a model loaded meanwhile', { err }));
      return false;
    }
    this.generation++;
    this.current = new ModelUsers(model);
    this.bytes = modelBytes(model);
    return true;
  }

  // The policy's thread count is applied at load: onnxruntime fixes intra-op threads when a
  // session is created, and the scheduler loads the model again when the count must change.
  async run(job: JobRecord, options: RunOptions): Promise<JobOutcome> {
    return this.options.process(await this.options.describe(job), options);
  }
}

/**
 * Bytes of the files the model loads: what it keeps resident, near enough for telemetry and
 * for the in-place reload's room check (SECOND_SESSION_FACTOR). The ONNX files its sessions
 * were opened from (not an int8 or fp16 sibling beside them), with their external weights
 * where a large export keeps them beside (model.onnx.data, model.onnx_data).
 */
function modelBytes(model: LoadedModel): number {
  let names: string[];
  try {
    names = readdirSync(model.dir);
  } catch {
    return 0;
  }
  let total = 0;
  for (const file of model.files) {
    const base = basename(file);
    for (const name of names) {
      if (name !== base && (!name.startsWith(base) || name.endsWith('.onnx'))) continue;
      try {
        const st = statSync(join(model.dir, name));
        if (st.isFile()) total += st.size;
      } catch {
        // A file that vanished between list and stat counts as nothing.
      }
    }
  }
  return total;
}
