/**
 * The engine's entry point: `loadModel(dir)` recognises the family, opens the ONNX session on
 * the best available execution provider and returns a LoadedModel that turns 16 kHz samples
 * into text, tokens and word timestamps.
 */
import { basename, resolve } from 'node:path';
import { silentLogger, type Logger } from '../log/logger.js';
import { ContextGraph, type ContextPhrase } from './decode/context-graph.js';
import { ctcGreedy, ctcPrefixBeamSearch, type CtcHypothesis } from './decode/ctc.js';
import { assembleResult } from './decode/result.js';
import { verifyModelFiles } from './models/card.js';
import type { CtcFamilyModel, CtcForward } from './models/ctc-model.js';
import { detectModel, type ModelLayout } from './models/detect.js';
import { NemoCtcModel } from './models/nemo-ctc.js';
import { SenseVoiceModel } from './models/sense-voice.js';
import { TokenTable } from './models/tokens.js';
import { ZipformerCtcModel } from './models/zipformer-ctc.js';
import { DEFAULT_SESSION_SETTINGS, openSession, type ModelSession } from './session.js';
import type { AsrResult, Hotword, LoadedModel, LoadOptions, TranscribeOptions } from './types.js';

export const DEFAULT_BEAM_SIZE = 4;

function makeFamily(layout: ModelLayout, session: ModelSession, tokens: TokenTable): CtcFamilyModel {
  switch (layout.family) {
    case 'nemo-ctc':
      return new NemoCtcModel(session, layout, tokens);
    case 'zipformer-ctc':
      return new ZipformerCtcModel(session, layout, tokens);
    case 'sense-voice':
      return new SenseVoiceModel(session, layout, tokens);
  }
}

/** Hotword phrases as token sequences; phrases the vocabulary cannot spell are reported, not fatal. */
export function buildContextGraph(hotwords: readonly Hotword[], tokens: TokenTable, logger: Logger): ContextGraph | null {
  const phrases: ContextPhrase[] = [];
  for (const h of hotwords) {
    const ids = tokens.encode(h.phrase);
    if (!ids || ids.length === 0) {
      logger.warn('hotword cannot be spelled with this model\'s tokens; ignored', { phrase: h.phrase });
      continue;
    }
    phrases.push({ tokens: ids, boost: h.boost, phrase: h.phrase });
  }
  return phrases.length ? new ContextGraph(phrases) : null;
}

class CtcRecognizer implements LoadedModel {
  constructor(
    readonly id: string,
    readonly dir: string,
    private readonly model: CtcFamilyModel,
    private readonly tokens: TokenTable,
    private readonly logger: Logger,
  ) {}

  get family() {
    return this.model.family;
  }
  get sampleRate() {
    return this.model.sampleRate;
  }
  get provider() {
    return this.model.session.provider;
  }
  get fallbacks() {
    return this.model.session.fallbacks;
  }

  async transcribe(samples: Float32Array, options: TranscribeOptions = {}): Promise<AsrResult> {
    return (await this.transcribeBatch([samples], options))[0]!;
  }

  async transcribeBatch(segments: readonly Float32Array[], options: TranscribeOptions = {}): Promise<AsrResult[]> {
    if (segments.length === 0) return [];
    const minSamples = Math.ceil(this.sampleRate * 0.03);
    // Segments too short for one feature frame give an empty result instead of failing the batch.
    const live = segments.map((s, i) => ({ s, i })).filter(({ s }) => s.length >= minSamples);
    const outputs = live.length ? await this.model.forward(live.map((x) => x.s), options) : [];
    const graph = options.hotwords?.length ? buildContextGraph(options.hotwords, this.tokens, this.logger) : null;
    const results: AsrResult[] = segments.map((s) => this.empty(s));
    live.forEach(({ s, i }, k) => (results[i] = this.decode(outputs[k]!, s, options, graph)));
    return results;
  }

  private decode(out: CtcForward, samples: Float32Array, options: TranscribeOptions, graph: ContextGraph | null): AsrResult {
    const beam = graph !== null || options.method === 'beam';
    const hyp: CtcHypothesis = beam
      ? ctcPrefixBeamSearch(out, { beamSize: options.beamSize ?? DEFAULT_BEAM_SIZE, blankId: this.model.blankId, context: graph })
      : ctcGreedy(out, this.model.blankId);
    const result = this.empty(samples);
    let { ids, frames } = hyp;
    if (out.promptTokens > 0) {
      const tags = ids.slice(0, out.promptTokens).map((id) => this.tokens.display(id).replace(/^<\||\|>$/g, ''));
      [result.language, result.emotion, result.event] = tags;
      ids = ids.slice(out.promptTokens);
      frames = frames.slice(out.promptTokens).map((f) => f - out.promptTokens);
    }
    const decoded = assembleResult(ids, frames, this.tokens, this.model.frameShiftSec);
    return { ...result, ...decoded };
  }

  private empty(samples: Float32Array): AsrResult {
    return { text: '', tokens: [], words: [], modelId: this.id, durationSec: samples.length / this.sampleRate };
  }

  async release(): Promise<void> {
    await this.model.session.release();
    this.logger.info('model released', { model: this.id });
  }
}

export async function loadModel(dir: string, options: LoadOptions = {}): Promise<LoadedModel> {
  const logger = options.logger ?? silentLogger;
  const abs = resolve(dir);
  const layout = detectModel(abs);
  if (layout.card && options.verify !== false) await verifyModelFiles(abs, layout.card);
  const tokens = TokenTable.read(layout.tokensPath);
  const session = await openSession(layout.modelPath, {
    providers: options.providers ?? DEFAULT_SESSION_SETTINGS.providers,
    threads: options.threads ?? DEFAULT_SESSION_SETTINGS.threads,
    graphOptimization: options.graphOptimization ?? DEFAULT_SESSION_SETTINGS.graphOptimization,
    logger,
  });
  try {
    const model = makeFamily(layout, session, tokens);
    const id = layout.card?.name ?? basename(abs);
    logger.info('model loaded', { model: id, family: layout.family, provider: session.provider });
    return new CtcRecognizer(id, abs, model, tokens, logger);
  } catch (err) {
    await session.release();
    throw err;
  }
}
