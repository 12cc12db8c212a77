/**
 * onnxruntime-node sessions with an ordered execution-provider preference.
 *
 * Each provider is tried in turn (the GPU → Apple → CPU ladder by default); one that this
 * onnxruntime build does not have, or that fails to initialise (missing CUDA libraries, no
 * device), is skipped with a logged reason and the next one is tried. The provider that took
 * the model, and why the others did not, are kept on the session for `earshot model load`
 * and status output.
 */
import ort from 'onnxruntime-node';
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import { schemaDefaults } from '../config/defaults.js';

export const EXECUTION_PROVIDERS = ['cuda', 'tensorrt', 'coreml', 'dml', 'webgpu', 'cpu'] as const;
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number];
export type GraphOptimization = 'disabled' | 'basic' | 'extended' | 'all';

export interface SessionSettings {
  /** Tried in order; 'cpu' is appended if missing so a model always loads somewhere. */
  providers: readonly ExecutionProvider[];
  /** Intra-op threads (the scheduler decides); 0 lets onnxruntime pick. */
  threads: number;
  graphOptimization: GraphOptimization;
  logger?: Logger;
}

/** Session settings from the `model` section of config.schema.json, for callers without a config. */
export function defaultSessionSettings(): SessionSettings {
  const model = schemaDefaults()['model'] as Pick<SessionSettings, 'providers' | 'threads' | 'graphOptimization'>;
  return { providers: model.providers, threads: model.threads, graphOptimization: model.graphOptimization };
}

export interface ProviderFallback {
  provider: ExecutionProvider;
  reason: string;
}

export type Feeds = Record<string, ort.Tensor>;
export type Outputs = Record<string, ort.Tensor>;

/** One loaded ONNX file. */
export class ModelSession {
  constructor(
    readonly path: string,
    private session: ort.InferenceSession | null,
    readonly provider: ExecutionProvider,
    readonly fallbacks: readonly ProviderFallback[],
  ) {}

  get inputNames(): readonly string[] {
    return this.live().inputNames;
  }

  get outputNames(): readonly string[] {
    return this.live().outputNames;
  }

  /** Shape of an input as declared in the graph; symbolic dimensions are strings, unknown are -1. */
  inputShape(name: string): Array<number | string> {
    const m = this.live().inputMetadata.find((x) => x.name === name);
    return m && m.isTensor ? [...m.shape] : [];
  }

  /** Element type of an input ('float32', 'int64', ...), or '' when unknown. */
  inputType(name: string): string {
    const m = this.live().inputMetadata.find((x) => x.name === name);
    return m && m.isTensor ? m.type : '';
  }

  async run(feeds: Feeds): Promise<Outputs> {
    return (await this.live().run(feeds)) as Outputs;
  }

  get released(): boolean {
    return this.session === null;
  }

  /** Frees the native session (weights, arena). Safe to call twice. */
  async release(): Promise<void> {
    const s = this.session;
    this.session = null;
    if (s) await s.release();
  }

  private live(): ort.InferenceSession {
    if (!this.session) throw new Error(`${this.path}: the model session was released; load the model again`);
    return this.session;
  }
}

/** Why `provider` cannot be used by this onnxruntime-node build, or null if it may work. */
export function providerUnavailableReason(provider: ExecutionProvider): string | null {
  if (provider === 'cpu') return null;
  const backends = ort.listSupportedBackends();
  const known = backends.find((b) => b.name === provider);
  if (!known) {
    const names = backends.map((b) => b.name).join(', ');
    return `onnxruntime-node ${ort.env.versions.common} on ${process.platform}-${process.arch} has no '${provider}' provider (it has: ${names})`;
  }
  return null;
}

function describe(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0]!.slice(0, 300);
}

/**
 * Opens `path` on the first provider of `settings.providers` that works.
 * Throws only when even CPU fails (a broken or unsupported model), naming the file.
 */
export async function openSession(path: string, settings: SessionSettings): Promise<ModelSession> {
  const logger = settings.logger ?? silentLogger;
  const order: ExecutionProvider[] = [...settings.providers];
  if (!order.includes('cpu')) order.push('cpu');
  const fallbacks: ProviderFallback[] = [];
  // onnxruntime also prints a failing accelerator's error straight to stderr; every failure
  // reaches the caller as an exception and our logger records it, so keep only fatal lines.
  ort.env.logLevel = 'fatal';
  for (const provider of order) {
    const unavailable = providerUnavailableReason(provider);
    if (unavailable) {
      fallbacks.push({ provider, reason: unavailable });
      logger.warn(`execution provider ${provider} unavailable, trying the next one`, { model: path, reason: unavailable });
      continue;
    }
    try {
      const session = await ort.InferenceSession.create(path, {
        executionProviders: [provider],
        intraOpNumThreads: settings.threads,
        interOpNumThreads: 1,
        graphOptimizationLevel: settings.graphOptimization,
        executionMode: 'sequential',
      });
      logger.info(`loaded model on ${provider}`, { model: path, threads: settings.threads, fallbacks: fallbacks.length || undefined });
      return new ModelSession(path, session, provider, fallbacks);
    } catch (err) {
      const reason = describe(err);
      fallbacks.push({ provider, reason });
      if (provider === 'cpu') {
        throw new Error(`${path}: onnxruntime cannot load this model: ${reason}. Check that the file is a complete ONNX model for this family.`);
      }
      logger.warn(`execution provider ${provider} failed to initialise, trying the next one`, { model: path, reason });
    }
  }
  // Unreachable: the loop ends with cpu, which either returns or throws.
  throw new Error(`${path}: no execution provider could load the model`);
}
