/**
 * icefall Zipformer CTC exports: inputs `x` [N, T, 80] and `x_lens` [N]; outputs
 * `log_probs` [N, T', V] and `log_probs_len` [N]. Subsampling is 4 (sherpa-onnx hard-codes it),
 * features are the Kaldi defaults.
 */
import ort from 'onnxruntime-node';
import { FbankComputer } from '../features/fbank.js';
import { ICEFALL_FBANK } from '../features/presets.js';
import type { ModelSession } from '../session.js';
import type { TokenTable } from './tokens.js';
import type { ModelLayout } from './detect.js';
import { padBatch, splitOutput, type CtcFamilyModel, type CtcForward } from './ctc-model.js';

const LOG_ZERO_PAD = -23.025850929940457;
const SUBSAMPLING = 4;

export class ZipformerCtcModel implements CtcFamilyModel {
  readonly family = 'zipformer-ctc' as const;
  readonly sampleRate = 16000;
  readonly blankId: number;
  readonly frameShiftSec = (ICEFALL_FBANK.frameShiftMs / 1000) * SUBSAMPLING;
  private readonly fbank = new FbankComputer(ICEFALL_FBANK);

  constructor(
    readonly session: ModelSession,
    layout: ModelLayout,
    tokens: TokenTable,
  ) {
    if (session.inputNames.length !== 2 || session.outputNames.length < 2) {
      throw new Error(`${layout.modelPath}: a Zipformer CTC model takes (x, x_lens) and returns (log_probs, log_probs_len); this one has inputs ${session.inputNames.join(', ')} and outputs ${session.outputNames.join(', ')}`);
    }
    this.blankId = tokens.blankId;
  }

  async forward(batch: readonly Float32Array[]): Promise<CtcForward[]> {
    const feats = batch.map((s) => this.fbank.compute(s));
    const { data, maxFrames, dim } = padBatch(feats, LOG_ZERO_PAD);
    const n = feats.length;
    const [xName, lenName] = this.session.inputNames as [string, string];
    const out = await this.session.run({
      [xName]: new ort.Tensor('float32', data, [n, maxFrames, dim]),
      [lenName]: new ort.Tensor('int64', BigInt64Array.from(feats.map((f) => BigInt(f.numFrames))), [n]),
    });
    const [probsName, lensName] = this.session.outputNames as [string, string];
    const logProbs = out[probsName]!;
    const lens = Array.from(out[lensName]!.data as BigInt64Array, (x) => Number(x));
    return splitOutput(logProbs.data as Float32Array, logProbs.dims, lens, 0);
  }
}
