/**
 * Which family a model directory holds, decided like sherpa-onnx decides: from the ONNX
 * `model_type` metadata (offline-ctc-model.cc GetModelType) and the metadata keys each family's
 * loader requires, with the file layout (`model.onnx` + `tokens.txt`) sherpa-onnx's examples use.
 * A model.json card, when present, names the family and is checked against the metadata.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelFamily } from '../types.js';
import { readModelCard, type ModelCard } from './card.js';
import { readOnnxMetadata } from './onnx-metadata.js';

export interface ModelLayout {
  dir: string;
  family: ModelFamily;
  /** model.onnx for single-file families, the encoder for transducers. */
  modelPath: string;
  /** Transducers only. */
  transducer?: { encoder: string; decoder: string; joiner: string };
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
  'zipformer-transducer': ['model_type', 'T', 'decode_chunk_len'],
  paraformer: ['vocab_size', 'lfr_window_size', 'lfr_window_shift', 'neg_mean', 'inv_stddev'],
  'sense-voice': ['vocab_size', 'lfr_window_size', 'lfr_window_shift', 'normalize_samples', 'with_itn', 'without_itn', 'lang_auto', 'lang_zh', 'lang_en', 'lang_ja', 'lang_ko', 'lang_yue', 'neg_mean', 'inv_stddev'],
};

function familyFromMetadata(meta: Map<string, string>): ModelFamily | null {
  const type = meta.get('model_type') ?? '';
  if (NEMO_TYPES.has(type)) return 'nemo-ctc';
  if (type === 'zipformer2_ctc') return 'zipformer-ctc';
  if (meta.has('lfr_window_size') && meta.has('with_itn')) return 'sense-voice';
  // FunASR Paraformer: LFR + CMVN metadata without SenseVoice's prompt ids.
  if (type === 'paraformer' || (meta.has('lfr_window_size') && meta.has('neg_mean'))) return 'paraformer';
  // NeMo exports made with sherpa-onnx's add-model-metadata scripts but without model_type.
  if (type === '' && meta.has('vocab_size') && meta.has('subsampling_factor') && meta.has('normalize_type')) return 'nemo-ctc';
  return null;
}

export function detectModel(dir: string): ModelLayout {
  if (!existsSync(dir)) throw new Error(`${dir}: model directory not found; install a model (earshot model install) and name its folder`);
  const card = readModelCard(dir);
  const name = MODEL_FILES.find((f) => existsSync(join(dir, f)));
  if (!name) {
    const transducer = findTransducer(dir);
    if (transducer) return transducerLayout(dir, transducer, card);
    throw new Error(`${dir}: no ${MODEL_FILES.join(' / ')} found (nor a transducer's encoder/decoder/joiner .onnx); a model directory needs the ONNX model and tokens.txt`);
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
        `Supported: NeMo CTC (model_type EncDecCTCModelBPE/EncDecCTCModel), Zipformer CTC (zipformer2_ctc), SenseVoice (lfr_window_size, with_itn, ...), Paraformer (lfr_window_size, neg_mean); or write "family" in model.json`,
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

/** encoder*.onnx, decoder*.onnx, joiner*.onnx as sherpa-onnx packages name them; full precision preferred. */
function findTransducer(dir: string): { encoder: string; decoder: string; joiner: string } | null {
  const files = readdirSync(dir).filter((f) => f.endsWith('.onnx'));
  const pick = (part: string): string | null => {
    const matches = files.filter((f) => f.startsWith(part)).sort((a, b) => Number(a.includes('int8')) - Number(b.includes('int8')) || a.length - b.length);
    return matches[0] ? join(dir, matches[0]) : null;
  };
  const encoder = pick('encoder');
  const decoder = pick('decoder');
  const joiner = pick('joiner');
  if (!encoder && !decoder && !joiner) return null;
  const missing = [['encoder', encoder], ['decoder', decoder], ['joiner', joiner]].filter(([, p]) => !p).map(([n]) => n);
  if (missing.length) throw new Error(`${dir}: transducer model is missing its ${missing.join(' and ')} .onnx file`);
  return { encoder: encoder!, decoder: decoder!, joiner: joiner! };
}

function transducerLayout(dir: string, files: { encoder: string; decoder: string; joiner: string }, card: ModelCard | null): ModelLayout {
  const tokensPath = join(dir, 'tokens.txt');
  if (!existsSync(tokensPath)) throw new Error(`${tokensPath}: missing; the model's vocabulary file must sit next to the encoder`);
  const metadata = readOnnxMetadata(files.encoder);
  const type = metadata.get('model_type') ?? '';
  // Both icefall streaming Zipformer generations: their encoders take x followed by cached
  // states and return encoder_out followed by the new states in the same order.
  if (type !== 'zipformer2' && type !== 'zipformer') {
    throw new Error(`${files.encoder}: transducer model_type '${type}' is not supported; this engine runs streaming Zipformer transducers (model_type zipformer or zipformer2)`);
  }
  if (card && card.family !== 'zipformer-transducer') {
    throw new Error(`${join(dir, 'model.json')}: family '${card.family}' but ${files.encoder} is a streaming Zipformer transducer; fix the card`);
  }
  const family = 'zipformer-transducer';
  const missing = REQUIRED_METADATA[family].filter((k) => !metadata.has(k));
  if (missing.length) {
    throw new Error(`${files.encoder}: lacks ONNX metadata ${missing.join(', ')}; only streaming Zipformer transducers (with T and decode_chunk_len) are supported, not offline ones`);
  }
  return { dir, family, modelPath: files.encoder, transducer: files, tokensPath, metadata, card };
}
