/**
 * NeMo CTC exports (Conformer/Citrinet/FastConformer CTC, and our earshot-en-tiny):
 * inputs `audio_signal` [N, C, T] (features channels-first) and `length` [N]; output 0 is
 * log-probabilities [N, T', V]. Metadata: vocab_size, subsampling_factor, normalize_type.
 * Valid output frames are floor(T / subsampling), as sherpa-onnx computes them.
 */
import ort from 'onnxruntime-node';
import { FbankComputer, type FeatureMatrix } from '../features/fbank.js';
import { NEMO_FBANK } from '../features/presets.js';
import { normalizePerFeature, normalizeRow } from '../features/normalize.js';
import type { ModelSession } from '../session.js';
import type { TokenTable } from './tokens.js';
import type { ModelLayout } from './detect.js';
import { metaInt, splitOutput, type CtcFamilyModel, type CtcForward } from './ctc-model.js';

/** log(1e-10): what sherpa-onnx pads CTC feature batches with. */
const LOG_ZERO_PAD = -23.025850929940457;

export class NemoCtcModel implements CtcFamilyModel {
  readonly family = 'nemo-ctc' as const;
  readonly sampleRate = 16000;
  readonly blankId: number;
  readonly frameShiftSec: number;
  private readonly subsampling: number;
  private readonly normalize: string;
  private readonly fbank: FbankComputer;

  constructor(
    readonly session: ModelSession,
    layout: ModelLayout,
    tokens: TokenTable,
  ) {
    const where = layout.modelPath;
    this.subsampling = metaInt(layout.metadata, 'subsampling_factor', where);
    const vocab = metaInt(layout.metadata, 'vocab_size', where);
    if (vocab !== tokens.size) throw new Error(`${where}: vocab_size ${vocab} but ${layout.tokensPath} has ${tokens.size} tokens; they belong to different models`);
    const norm = layout.metadata.get('normalize_type') ?? '';
    this.normalize = norm === 'NA' ? '' : norm;
    if (this.normalize !== '' && this.normalize !== 'per_feature') {
      throw new Error(`${where}: normalize_type '${this.normalize}' is not supported (only per_feature or empty, as in sherpa-onnx)`);
    }
    for (const name of ['audio_signal', 'length']) {
      if (!session.inputNames.includes(name)) throw new Error(`${where}: NeMo CTC model has no '${name}' input (inputs: ${session.inputNames.join(', ')})`);
    }
    const shape = session.inputShape('audio_signal');
    const bins = typeof shape[1] === 'number' && shape[1] > 0 ? shape[1] : NEMO_FBANK.numBins;
    this.fbank = new FbankComputer({ ...NEMO_FBANK, numBins: bins });
    this.blankId = tokens.blankId;
    this.frameShiftSec = (NEMO_FBANK.frameShiftMs / 1000) * this.subsampling;
  }

  /** Normalised features of one segment, row-major [T, C] (what sherpa-onnx's stream holds). */
  features(samples: Float32Array): FeatureMatrix {
    const f = this.fbank.compute(samples);
    if (this.normalize === 'per_feature') normalizePerFeature(f);
    return f;
  }

  async forward(batch: readonly Float32Array[]): Promise<CtcForward[]> {
    const feats = batch.map((s) => this.fbank.compute(s));
    const n = feats.length;
    const dim = this.fbank.dim;
    const maxFrames = Math.max(1, ...feats.map((f) => f.numFrames));
    // Channels-first [N, C, T] directly: each mel bin becomes one contiguous row, normalised in
    // place, the tail of the row padded as sherpa-onnx pads batches (after normalisation).
    const x = new Float32Array(n * dim * maxFrames);
    feats.forEach((f, b) => {
      const T = f.numFrames;
      for (let c = 0; c < dim; c++) {
        const row = x.subarray((b * dim + c) * maxFrames, (b * dim + c + 1) * maxFrames);
        for (let t = 0; t < T; t++) row[t] = f.data[t * dim + c]!;
        if (this.normalize === 'per_feature') normalizeRow(row, T);
        row.fill(LOG_ZERO_PAD, T);
      }
    });
    const out = await this.session.run({
      audio_signal: new ort.Tensor('float32', x, [n, dim, maxFrames]),
      length: new ort.Tensor('int64', BigInt64Array.from(feats.map((f) => BigInt(f.numFrames))), [n]),
    });
    const logProbs = out[this.session.outputNames[0]!]!;
    const lengths = feats.map((f) => Math.floor(f.numFrames / this.subsampling));
    return splitOutput(logProbs.data as Float32Array, logProbs.dims, lengths, 0);
  }
}
