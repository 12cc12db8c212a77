import type { LoadedModel } from '../../daemon/asr/types.js';
import { LogSink } from '../../daemon/log/logger.js';
import type { TranscriptPayload } from '../../daemon/mqtt/payloads/transcript.js';
import { JobProcessor } from '../../daemon/pipeline/job-processor.js';
import { EnergyDetector } from '../../daemon/vad/energy.js';
import type { VoiceDetector } from '../../daemon/vad/types.js';
import { resolveSegmenterSettings, type SegmenterSettings } from '../../daemon/vad/sensitivity.js';

export interface FileJobHarness {
  processor: JobProcessor<number>;
  /** What reached the outbox, in order. */
  published: TranscriptPayload[];
  logs: string[];
}

/**
 * A real JobProcessor for file jobs around a loaded model, with the energy VAD, no plugins,
 * a fixed energy and carbon figure, and an outbox that keeps what it is given. `onPublish`
 * sees the count as each transcript arrives (to stop a run part-way); `modelId` may claim
 * another model's id; `detector` replaces the energy VAD; `siteId` is the box's ('site').
 */
export function fileJobProcessor(model: LoadedModel, o: { modelId?: string; onPublish?: (count: number) => void; vad?: SegmenterSettings; detector?: () => VoiceDetector; siteId?: string } = {}): FileJobHarness {
  const published: TranscriptPayload[] = [];
  const logs: string[] = [];
  const processor = new JobProcessor<number>({
    siteId: o.siteId ?? 'site',
    recognizer: async () => ({ id: o.modelId ?? model.id, transcribeBatch: (segments, options) => model.transcribeBatch(segments, options) }),
    plugins: { hotwords: () => [], process: async (tr) => ({ text: tr.text, words: tr.words ?? [], applied: [], skipped: [] }) },
    sink: {
      publishTranscript: async (tr) => {
        published.push(tr);
        o.onPublish?.(published.length);
      },
    },
    energy: { begin: async () => 0, end: async () => ({ joules: 2, kWh: 2 / 3.6e6, source: 'estimated', method: 'cpu-model:test' }) },
    carbon: { current: (atMs) => ({ gPerKWh: 100, source: 'static', status: 'live', atMs }) },
    detector: async () => o.detector?.() ?? new EnergyDetector(),
    vad: o.vad ?? resolveSegmenterSettings({}),
    batchSize: 4,
    logger: new LogSink({ level: 'info', format: 'text', write: (line) => void logs.push(line) }).logger('pipeline'),
  });
  return { processor, published, logs };
}

/** `inner`, telling `onLook` how many samples it is given. */
export function countingDetector(inner: VoiceDetector, onLook: (samples: number) => void): VoiceDetector {
  return {
    name: inner.name,
    hopSamples: inner.hopSamples,
    process: (samples) => {
      onLook(samples.length);
      return inner.process(samples);
    },
    flush: () => inner.flush(),
    reset: () => inner.reset(),
    close: () => inner.close(),
  };
}
