import { statSync, readdirSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { loadModel } from '../asr/recognizer.js';
import type { ExecutionProvider, GraphOptimization } from '../asr/session.js';
import type { AsrStream, LoadedModel, StreamOptions, TranscribeOptions, AsrResult } from '../asr/types.js';
import type { Logger } from '../log/logger.js';
import { packageRoot } from '../paths.js';
import type { JobRecord } from '../scheduler/job-queue.js';
import type { ModelRuntime, RunOptions } from '../scheduler/model-lifecycle.js';
import type { JobOutcome, SpeechRecognizer, TranscriptionJob } from './types.js';

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
  private model: LoadedModel | undefined;
  private bytes = 0;
  /** Stream decodes running now (live partials): the model is released only after them. */
  private readonly streamDecodes = new Set<Promise<unknown>>();

  constructor(private readonly options: AsrRuntimeOptions) {}

  /** `threads`: the policy's count, which `model.threads` bounds (see schedulerLimits). */
  async load(threads: number): Promise<void> {
    if (this.model) return;
    const { config, logger } = this.options;
    const dir = resolveModelDir(config.dir);
    this.model = await loadModel(dir, { providers: config.providers, threads, graphOptimization: config.graphOptimization, logger });
    this.bytes = directoryBytes(dir);
  }

  async unload(): Promise<void> {
    const model = this.model;
    this.model = undefined;
    this.bytes = 0;
    // The lifecycle waits for jobs; partial decodes run outside jobs, so wait for them here.
    await Promise.allSettled([...this.streamDecodes]);
    await model?.release();
  }

  loaded(): boolean {
    return this.model !== undefined;
  }

  device(): string {
    return this.model?.provider ?? 'none';
  }

  residentBytes(): number {
    return this.bytes;
  }

  /** The loaded model as the pipeline sees it, with decoding options from config. */
  recognizer(): SpeechRecognizer {
    const model = this.model;
    if (!model) throw new Error('the ASR model is not loaded');
    const { decoding } = this.options.config;
    return {
      id: model.id,
      transcribeBatch: (segments: readonly Float32Array[], options: TranscribeOptions = {}): Promise<AsrResult[]> =>
        model.transcribeBatch(segments, {
          method: decoding.method,
          beamSize: decoding.beamSize,
          ...options,
          ...(options.hotwords ? { hotwords: options.hotwords.map((h) => ({ phrase: h.phrase, boost: h.boost || decoding.hotwordBoost })) } : {}),
        }),
    };
  }

  /** A live stream on the loaded model, for partial transcripts; never loads the model. */
  createStream(options: StreamOptions = {}): AsrStream {
    const model = this.model;
    if (!model) throw new Error('the ASR model is not loaded');
    const { decoding } = this.options.config;
    const stream = model.createStream({ method: decoding.method, beamSize: decoding.beamSize, ...options });
    const track = <T>(decode: Promise<T>): Promise<T> => {
      this.streamDecodes.add(decode);
      return decode.finally(() => this.streamDecodes.delete(decode));
    };
    return {
      accept: (samples) => stream.accept(samples),
      partial: () => track(stream.partial()),
      finish: () => track(stream.finish()),
      get durationSec() {
        return stream.durationSec;
      },
    };
  }

  // The policy's thread count is applied at load: onnxruntime fixes intra-op threads when a
  // session is created, and the scheduler loads the model again when the count must change.
  async run(job: JobRecord, options: RunOptions): Promise<JobOutcome> {
    return this.options.process(await this.options.describe(job), options);
  }
}

/** Bytes of the model files: what the loaded model keeps resident, near enough for telemetry. */
function directoryBytes(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    try {
      const st = statSync(join(dir, name));
      if (st.isFile() && name.endsWith('.onnx')) total += st.size;
    } catch {
      // A file that vanished between list and stat counts as nothing.
    }
  }
  return total;
}
