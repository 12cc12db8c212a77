/**
 * Typed access to the peer runtime, sherpa-onnx-node (a dev dependency used only by parity
 * tests and bench/asr). It ships no TypeScript types, so the few calls we make are declared here.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ModelFamily } from '../../daemon/asr/types.js';
import { readOnnxMetadata } from '../../daemon/asr/models/onnx-metadata.js';
import { detectModel } from '../../daemon/asr/models/detect.js';
import { tailPaddingSec } from '../../daemon/asr/streaming/transducer-stream.js';

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

interface SherpaOnlineStream extends SherpaStream {
  inputFinished(): void;
}

interface SherpaOnlineRecognizer {
  createStream(): SherpaOnlineStream;
  isReady(s: SherpaOnlineStream): boolean;
  decode(s: SherpaOnlineStream): void;
  getResult(s: SherpaOnlineStream): SherpaResult;
}

interface SherpaModule {
  OfflineRecognizer: new (config: unknown) => SherpaOfflineRecognizer;
  OnlineRecognizer: new (config: unknown) => SherpaOnlineRecognizer;
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
    case 'paraformer':
      return { paraformer: { model } };
    case 'zipformer-transducer':
      throw new Error('streaming transducers run in SherpaOnline');
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

/** Streaming transducer in sherpa-onnx's OnlineRecognizer, fed the way TransducerRecognizer is. */
export class SherpaOnline {
  private readonly recognizer: SherpaOnlineRecognizer;

  constructor(dir: string, threads = 1, method: 'greedy_search' | 'modified_beam_search' = 'greedy_search') {
    this.recognizer = new sherpa.OnlineRecognizer({
      featConfig: { sampleRate: 16000, featureDim: 80 },
      modelConfig: {
        transducer: detectModel(dir).transducer,
        tokens: join(dir, 'tokens.txt'),
        numThreads: threads,
        provider: 'cpu',
        debug: 0,
      },
      decodingMethod: method,
      maxActivePaths: 4,
      enableEndpoint: 0,
    });
  }

  transcribe(samples: Float32Array, tailPaddingSec: number): SherpaResult {
    const s = this.recognizer.createStream();
    s.acceptWaveform({ samples, sampleRate: 16000 });
    s.acceptWaveform({ samples: new Float32Array(Math.round(tailPaddingSec * 16000)), sampleRate: 16000 });
    s.inputFinished();
    while (this.recognizer.isReady(s)) this.recognizer.decode(s);
    return this.recognizer.getResult(s);
  }
}

/** Our tail padding for the streaming transducer in `dir`, from its encoder metadata. */
export function transducerTailPaddingSec(dir: string): number {
  const meta = readOnnxMetadata(detectModel(dir).modelPath);
  return tailPaddingSec(Number(meta.get('T')), Number(meta.get('decode_chunk_len')));
}

/** The peer for any supported family: transcribe(samples) as our LoadedModel.transcribe does it. */
export function sherpaPeer(dir: string, family: ModelFamily, threads = 1): { transcribe(samples: Float32Array): SherpaResult } {
  if (family === 'zipformer-transducer') {
    const online = new SherpaOnline(dir, threads);
    const padding = transducerTailPaddingSec(dir);
    return { transcribe: (samples) => online.transcribe(samples, padding) };
  }
  return new SherpaOffline(dir, family, threads);
}
