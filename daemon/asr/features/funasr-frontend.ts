/**
 * FunASR's front end (SenseVoice, Paraformer): Kaldi fbank, LFR stacking and global CMVN with
 * statistics stored in the model's metadata (lfr_window_size, lfr_window_shift, neg_mean,
 * inv_stddev), as sherpa-onnx applies them.
 */
import { FbankComputer, type FeatureMatrix } from './fbank.js';
import type { FbankOptions } from './fbank-options.js';
import { applyCmvn, stackLowFrameRate } from './normalize.js';
import { metaFloats, metaInt } from '../models/ctc-model.js';

export class FunAsrFrontEnd {
  readonly lfrWindow: number;
  readonly lfrShift: number;
  private readonly negMean: Float32Array;
  private readonly invStddev: Float32Array;
  private readonly fbank: FbankComputer;

  /** `where` names the model file in error messages. */
  constructor(metadata: Map<string, string>, fbank: FbankOptions, where: string) {
    this.lfrWindow = metaInt(metadata, 'lfr_window_size', where);
    this.lfrShift = metaInt(metadata, 'lfr_window_shift', where);
    this.negMean = metaFloats(metadata, 'neg_mean', where);
    this.invStddev = metaFloats(metadata, 'inv_stddev', where);
    this.fbank = new FbankComputer(fbank);
    if (this.negMean.length !== this.fbank.dim * this.lfrWindow || this.invStddev.length !== this.negMean.length) {
      throw new Error(`${where}: neg_mean/inv_stddev have ${this.negMean.length}/${this.invStddev.length} values, expected ${this.fbank.dim} × lfr_window_size ${this.lfrWindow}`);
    }
  }

  /** Output frames are lfr_window_shift × 10 ms apart. */
  get frameShiftSec(): number {
    return 0.01 * this.lfrShift;
  }

  features(samples: Float32Array): FeatureMatrix {
    const f = stackLowFrameRate(this.fbank.compute(samples), this.lfrWindow, this.lfrShift);
    applyCmvn(f, this.negMean, this.invStddev);
    return f;
  }
}
