/**
 * Which family a model directory holds, decided like sherpa-onnx decides: from the ONNX
 * `model_type` metadata (offline-ctc-model.cc GetModelType) and the metadata keys each family's
 * loader requires, with the file layout (`model.onnx` + `tokens.txt`) sherpa-onnx's examples use.
 * A model.json card, when present, names the family and is checked against the metadata.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelFamily } from '../types.js';
import { readModelCard, type ModelCard } from './card.js';
import { readOnnxMetadata } from './onnx-metadata.js';

export interface ModelLayout {
  dir: string;
  family: ModelFamily;
  modelPath: string;
  tokensPath: string;
  metadata: Map<string, string>;
  card: ModelCard | null;
}

const NEMO_TYPES = new Set(['EncDecCTCModelBPE', 'EncDecCTCModel', 'EncDecHybridRNNTCTCBPEModel']);
/** Preferred file names, full precision first (what sherpa-onnx's download pages ship). */
const MODEL_FILES = ['model.onnx', 'model.int8.onnx', 'model.fp16.onnx'];

/** Required metadata keys per family, from the READ_META_DATA calls of its sherpa-onnx loader. */
export const REQUIRED_METADATA: Record<ModelFamily, readonly string[]> = {
  'nemo-ctc': ['vocab_size', 'subsampling_factor'],
  'zipformer-ctc': [],
  'sense-voice': ['vocab_size', 'lfr_window_size', 'lfr_window_shift', 'normalize_samples', 'with_itn', 'without_itn', 'lang_auto', 'lang_zh', 'lang_en', 'lang_ja', 'lang_ko', 'lang_yue', 'neg_mean', 'inv_stddev'],
};

function familyFromMetadata(meta: Map<string, string>): ModelFamily | null {
  const type = meta.get('model_type') ?? '';
  if (NEMO_TYPES.has(type)) return 'nemo-ctc';
  if (type === 'zipformer2_ctc') return 'zipformer-ctc';
  if (meta.has('lfr_window_size') && meta.has('with_itn')) return 'sense-voice';
  // NeMo exports made with sherpa-onnx's add-model-metadata scripts but without model_type.
  if (type === '' && meta.has('vocab_size') && meta.has('subsampling_factor') && meta.has('normalize_type')) return 'nemo-ctc';
  return null;
}

export function detectModel(dir: string): ModelLayout {
  if (!existsSync(dir)) throw new Error(`${dir}: model directory not found; install a model (earshot model install) or pass --model DIR`);
  const card = readModelCard(dir);
  const name = MODEL_FILES.find((f) => existsSync(join(dir, f)));
  if (!name) {
    if (['encoder.onnx', 'decoder.onnx', 'joiner.onnx'].some((f) => existsSync(join(dir, f))) || existsSync(join(dir, 'encoder.int8.onnx'))) {
      throw new Error(`${dir}: encoder/decoder/joiner files are a transducer model; this engine runs CTC-family models (NeMo CTC, Zipformer CTC, SenseVoice) with one model.onnx`);
    }
    throw new Error(`${dir}: no ${MODEL_FILES.join(' / ')} found; a model directory needs the ONNX model and tokens.txt`);
  }
  const modelPath = join(dir, name);
  const tokensPath = join(dir, 'tokens.txt');
  if (!existsSync(tokensPath)) throw new Error(`${tokensPath}: missing; the model's vocabulary file must sit next to ${name}`);
  const metadata = readOnnxMetadata(modelPath);
  const fromMeta = familyFromMetadata(metadata);
  const family = card?.family ?? fromMeta;
  if (!family) {
    const keys = [...metadata.keys()];
    throw new Error(
      `${modelPath}: unknown model family (model_type '${metadata.get('model_type') ?? ''}', metadata keys: ${keys.join(', ') || 'none'}). ` +
        `Supported: NeMo CTC (model_type EncDecCTCModelBPE/EncDecCTCModel), Zipformer CTC (zipformer2_ctc), SenseVoice (lfr_window_size, with_itn, ...); or write "family" in model.json`,
    );
  }
  if (card && fromMeta && fromMeta !== card.family) {
    throw new Error(`${join(dir, 'model.json')}: family '${card.family}' but ${modelPath} metadata says '${fromMeta}'; fix the card or the model`);
  }
  const missing = REQUIRED_METADATA[family].filter((k) => !metadata.has(k));
  if (missing.length) {
    throw new Error(`${modelPath}: ${family} model lacks ONNX metadata ${missing.join(', ')}; add it as sherpa-onnx's export scripts do (onnx metadata_props)`);
  }
  return { dir, family, modelPath, tokensPath, metadata, card };
}
