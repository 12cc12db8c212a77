/**
 * FunASR Paraformer exports as sherpa-onnx runs them: Kaldi fbank (Hamming, snip_edges,
 * int16-range samples), LFR stacking and CMVN from the lfr_window_* / neg_mean / inv_stddev
 * metadata, inputs speech [N, T, 560] and speech_lengths [N] int32; outputs logits
 * [N, U, V] (one row per predicted token), token_num, and on timestamp exports us_cif_peak.
 */
import ort from 'onnxruntime-node';
import type { FeatureMatrix } from '../features/fbank.js';
import { FunAsrFrontEnd } from '../features/funasr-frontend.js';
import { senseVoiceFbank } from '../features/presets.js';
import type { ModelSession } from '../session.js';
import type { TokenTable } from './tokens.js';
import type { ModelLayout } from './detect.js';
import { metaInt, padBatch, type CtcFamilyModel, type CtcForward } from './ctc-model.js';

export class ParaformerModel implements CtcFamilyModel {
  readonly family = 'paraformer' as const;
  readonly sampleRate = 16000;
  readonly blankId: number;
  readonly eosId: number;
  readonly frameShiftSec = 0.02;
  private readonly frontEnd: FunAsrFrontEnd;

  constructor(
    readonly session: ModelSession,
    layout: ModelLayout,
    tokens: TokenTable,
  ) {
    const m = layout.metadata;
    const where = layout.modelPath;
    // Same fbank settings as SenseVoice with normalize_samples = 0 (InitFeatConfig in sherpa-onnx).
    this.frontEnd = new FunAsrFrontEnd(m, senseVoiceFbank(false), where);
    const vocab = metaInt(m, 'vocab_size', where);
    if (vocab !== tokens.size) throw new Error(`${where}: vocab_size ${vocab} but ${layout.tokensPath} has ${tokens.size} tokens; they belong to different models`);
    const eos = tokens.symbolToId.get('</s>');
    if (eos === undefined) throw new Error(`${layout.tokensPath}: a Paraformer vocabulary needs the end-of-sentence token </s>`);
    this.eosId = eos;
    this.blankId = tokens.symbolToId.get('<blank>') ?? 0;
  }

  features(samples: Float32Array): FeatureMatrix {
    return this.frontEnd.features(samples);
  }

  async forward(batch: readonly Float32Array[]): Promise<CtcForward[]> {
    const feats = batch.map((s) => this.features(s));
    const { data, maxFrames, dim } = padBatch(feats, 0);
    const n = feats.length;
    const [x, len] = this.session.inputNames as [string, string];
    const out = await this.session.run({
      [x]: new ort.Tensor('float32', data, [n, maxFrames, dim]),
      [len]: new ort.Tensor('int32', Int32Array.from(feats.map((f) => f.numFrames)), [n]),
    });
    const names = this.session.outputNames;
    const logits = out[names[0]!]!;
    const [, u, v] = logits.dims as [number, number, number];
    const peaks = names.length >= 4 ? out[names[3]!]! : null;
    const peakDim = peaks ? peaks.dims[peaks.dims.length - 1]! : 0;
    return feats.map((_, i) => ({
      data: (logits.data as Float32Array).subarray(i * u * v, (i + 1) * u * v),
      frames: u,
      vocab: v,
      promptTokens: 0,
      eosId: this.eosId,
      cifPeaks: peaks ? (peaks.data as Float32Array).subarray(i * peakDim, (i + 1) * peakDim) : undefined,
    }));
  }
}
