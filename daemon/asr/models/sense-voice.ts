/**
 * FunASR SenseVoice exports as sherpa-onnx runs them: Kaldi fbank (Hamming, snip_edges),
 * LFR stacking (lfr_window_size × 80 dims every lfr_window_shift frames), CMVN with the
 * neg_mean / inv_stddev metadata, then inputs x [N, T, 560], x_length [N] int32, language [N]
 * int32, text_norm [N] int32. The logits have 4 extra leading frames whose tokens are the
 * language, emotion, event and ITN tags.
 */
import ort from 'onnxruntime-node';
import type { FeatureMatrix } from '../features/fbank.js';
import { FunAsrFrontEnd } from '../features/funasr-frontend.js';
import { senseVoiceFbank } from '../features/presets.js';
import type { ModelSession } from '../session.js';
import type { TranscribeOptions } from '../types.js';
import type { TokenTable } from './tokens.js';
import type { ModelLayout } from './detect.js';
import { metaInt, padBatch, splitOutput, type CtcFamilyModel, type CtcForward } from './ctc-model.js';

const PROMPT_FRAMES = 4;
const LANGUAGES = ['auto', 'zh', 'en', 'ja', 'ko', 'yue'] as const;

export class SenseVoiceModel implements CtcFamilyModel {
  readonly family = 'sense-voice' as const;
  readonly sampleRate = 16000;
  readonly blankId: number;
  readonly frameShiftSec: number;
  private readonly frontEnd: FunAsrFrontEnd;
  private readonly withItn: number;
  private readonly withoutItn: number;
  private readonly languageIds: Map<string, number>;

  constructor(
    readonly session: ModelSession,
    layout: ModelLayout,
    tokens: TokenTable,
  ) {
    const m = layout.metadata;
    const where = layout.modelPath;
    this.blankId = metaInt(m, 'blank_id', where, 0);
    this.withItn = metaInt(m, 'with_itn', where);
    this.withoutItn = metaInt(m, 'without_itn', where);
    this.languageIds = new Map(LANGUAGES.map((l) => [l, metaInt(m, `lang_${l}`, where)]));
    const vocab = metaInt(m, 'vocab_size', where);
    if (vocab !== tokens.size) throw new Error(`${where}: vocab_size ${vocab} but ${layout.tokensPath} has ${tokens.size} tokens; they belong to different models`);
    this.frontEnd = new FunAsrFrontEnd(m, senseVoiceFbank(metaInt(m, 'normalize_samples', where) !== 0), where);
    if (session.inputNames.length !== 4) throw new Error(`${where}: SenseVoice takes 4 inputs (x, x_length, language, text_norm); this model has ${session.inputNames.join(', ')}`);
    this.frameShiftSec = this.frontEnd.frameShiftSec;
  }

  features(samples: Float32Array): FeatureMatrix {
    return this.frontEnd.features(samples);
  }

  languageId(language: string | undefined): number {
    if (!language) return 0;
    const id = this.languageIds.get(language);
    if (id === undefined) throw new Error(`SenseVoice language '${language}' is not one of ${LANGUAGES.join(', ')}`);
    return id;
  }

  async forward(batch: readonly Float32Array[], options: TranscribeOptions): Promise<CtcForward[]> {
    const feats = batch.map((s) => this.features(s));
    // sherpa-onnx pads SenseVoice batches with 0 (log(eps) would skew the CMVN'd features).
    const { data, maxFrames, dim } = padBatch(feats, 0);
    const n = feats.length;
    const lang = this.languageId(options.language);
    const textNorm = options.useItn ? this.withItn : this.withoutItn;
    const [x, xLen, language, norm] = this.session.inputNames as [string, string, string, string];
    const out = await this.session.run({
      [x]: new ort.Tensor('float32', data, [n, maxFrames, dim]),
      [xLen]: new ort.Tensor('int32', Int32Array.from(feats.map((f) => f.numFrames)), [n]),
      [language]: new ort.Tensor('int32', new Int32Array(n).fill(lang), [n]),
      [norm]: new ort.Tensor('int32', new Int32Array(n).fill(textNorm), [n]),
    });
    const logits = out[this.session.outputNames[0]!]!;
    return splitOutput(logits.data as Float32Array, logits.dims, feats.map((f) => f.numFrames + PROMPT_FRAMES), PROMPT_FRAMES);
  }
}
