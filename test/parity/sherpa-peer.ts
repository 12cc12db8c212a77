/**
 * Typed access to the peer runtime, sherpa-onnx-node (a dev dependency used only by parity
 * tests and bench/asr). It ships no TypeScript types, so the few calls we make are declared here.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ModelFamily } from '../../daemon/asr/types.js';

export interface SherpaResult {
  text: string;
  tokens: string[];
  timestamps: number[];
  lang?: string;
  emotion?: string;
  event?: string;
}

interface SherpaStream {
  acceptWaveform(w: { samples: Float32Array; sampleRate: number }): void;
}

interface SherpaOfflineRecognizer {
  createStream(): SherpaStream;
  decode(s: SherpaStream): void;
  getResult(s: SherpaStream): SherpaResult;
}

interface SherpaModule {
  OfflineRecognizer: new (config: unknown) => SherpaOfflineRecognizer;
}

const require = createRequire(import.meta.url);
// The addon is CommonJS with no type declarations; SherpaModule describes what we use.
const sherpa = require('sherpa-onnx-node') as SherpaModule;

/** The sherpa-onnx model config for a model directory of the given family, as its docs show it. */
function modelConfig(dir: string, family: ModelFamily): Record<string, unknown> {
  const model = join(dir, 'model.onnx');
  switch (family) {
    case 'nemo-ctc':
      return { nemoCtc: { model } };
    case 'zipformer-ctc':
      return { zipformerCtc: { model } };
    case 'sense-voice':
      return { senseVoice: { model, language: '', useInverseTextNormalization: 0 } };
  }
}

export class SherpaOffline {
  private readonly recognizer: SherpaOfflineRecognizer;

  constructor(dir: string, family: ModelFamily, threads = 1) {
    this.recognizer = new sherpa.OfflineRecognizer({
      featConfig: { sampleRate: 16000, featureDim: 80 },
      modelConfig: { ...modelConfig(dir, family), tokens: join(dir, 'tokens.txt'), numThreads: threads, provider: 'cpu', debug: 0 },
      decodingMethod: 'greedy_search',
    });
  }

  transcribe(samples: Float32Array): SherpaResult {
    const s = this.recognizer.createStream();
    s.acceptWaveform({ samples, sampleRate: 16000 });
    this.recognizer.decode(s);
    return this.recognizer.getResult(s);
  }
}
