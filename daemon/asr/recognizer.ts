/**
 * The engine's entry point: `loadModel(dir)` recognises the family, opens the ONNX session(s) on
 * the best available execution provider and returns a LoadedModel that turns 16 kHz samples
 * into text, tokens and word timestamps (and live streams).
 */
import { basename, resolve } from 'node:path';
import { silentLogger } from '../log/logger.js';
import { CtcRecognizer } from './ctc-recognizer.js';
import { verifyModelFiles } from './models/card.js';
import type { CtcFamilyModel } from './models/ctc-model.js';
import { detectModel, type ModelLayout } from './models/detect.js';
import { NemoCtcModel } from './models/nemo-ctc.js';
import { readOnnxMetadata } from './models/onnx-metadata.js';
import { ParaformerModel } from './models/paraformer.js';
import { SenseVoiceModel } from './models/sense-voice.js';
import { StreamingZipformerModel } from './models/streaming-zipformer.js';
import { TokenTable } from './models/tokens.js';
import { ZipformerCtcModel } from './models/zipformer-ctc.js';
import { defaultSessionSettings, openSession, type ModelSession, type SessionSettings } from './session.js';
import { TransducerRecognizer } from './transducer-recognizer.js';
import type { LoadedModel, LoadOptions } from './types.js';

export { buildContextGraph } from './decode/hotword-graph.js';
export { DEFAULT_BEAM_SIZE } from './ctc-recognizer.js';

function makeCtcFamily(layout: ModelLayout, session: ModelSession, tokens: TokenTable): CtcFamilyModel {
  switch (layout.family) {
    case 'nemo-ctc':
      return new NemoCtcModel(session, layout, tokens);
    case 'zipformer-ctc':
      return new ZipformerCtcModel(session, layout, tokens);
    case 'sense-voice':
      return new SenseVoiceModel(session, layout, tokens);
    case 'paraformer':
      return new ParaformerModel(session, layout, tokens);
    default:
      throw new Error(`${layout.modelPath}: ${layout.family} is not a single-file CTC family`);
  }
}

async function loadTransducer(layout: ModelLayout, settings: SessionSettings, tokens: TokenTable, id: string, languages: readonly string[]): Promise<LoadedModel> {
  const files = layout.transducer!;
  const sessions: ModelSession[] = [];
  try {
    for (const path of [files.encoder, files.decoder, files.joiner]) sessions.push(await openSession(path, settings));
    const [encoder, decoder, joiner] = sessions as [ModelSession, ModelSession, ModelSession];
    const model = new StreamingZipformerModel(encoder, decoder, joiner, layout.metadata, readOnnxMetadata(files.decoder), files, tokens);
    return new TransducerRecognizer(id, layout.dir, languages, [files.encoder, files.decoder, files.joiner], model, tokens, settings.logger ?? silentLogger);
  } catch (err) {
    await Promise.all(sessions.map((s) => s.release()));
    throw err;
  }
}

export async function loadModel(dir: string, options: LoadOptions = {}): Promise<LoadedModel> {
  const logger = options.logger ?? silentLogger;
  const abs = resolve(dir);
  const layout = detectModel(abs);
  if (layout.card && options.verify !== false) await verifyModelFiles(abs, layout.card);
  const tokens = TokenTable.read(layout.tokensPath);
  const id = layout.card?.name ?? basename(abs);
  const languages = layout.card?.languages ?? [];
  const defaults = defaultSessionSettings();
  const settings: SessionSettings = {
    providers: options.providers ?? defaults.providers,
    threads: options.threads ?? defaults.threads,
    graphOptimization: options.graphOptimization ?? defaults.graphOptimization,
    logger,
  };
  if (layout.transducer) {
    const model = await loadTransducer(layout, settings, tokens, id, languages);
    logger.info('model loaded', { model: id, family: layout.family, provider: model.provider });
    return model;
  }
  const session = await openSession(layout.modelPath, settings);
  try {
    const model = makeCtcFamily(layout, session, tokens);
    logger.info('model loaded', { model: id, family: layout.family, provider: session.provider });
    return new CtcRecognizer(id, abs, languages, [layout.modelPath], model, tokens, logger);
  } catch (err) {
    await session.release();
    throw err;
  }
}
