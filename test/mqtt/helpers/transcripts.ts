import { buildTranscript, type TranscriptPayload } from '../../../daemon/mqtt/payloads/transcript.js';

/** A realistic transcript payload for job number `n` of source `mic-1` at site `lab-1`. */
export function sampleTranscript(n: number, siteId = 'lab-1', sourceId = 'mic-1'): TranscriptPayload {
  const start = new Date(Date.UTC(2026, 10, 25, 8, 0, 0) + n * 4000);
  const end = new Date(start.getTime() + 2400);
  return buildTranscript({
    siteId,
    sourceId,
    jobId: `job-${n}`,
    text: `turn on light ${n}`,
    rawText: `turn on light ${n}`,
    language: 'en',
    startedAt: start.toISOString(),
    endedAt: end.toISOString(),
    startOffsetSec: n * 4,
    endOffsetSec: n * 4 + 2.4,
    tokens: [
      { text: 'turn', start: 0.1, end: 0.4 },
      { text: 'on', start: 0.45, end: 0.6 },
      { text: 'light', start: 0.7, end: 1.1 },
      { text: String(n), start: 1.2, end: 1.9 },
    ],
    modelId: 'earshot-tiny-en',
    plugins: ['itn-en'],
    processingMs: 180,
    rtf: 0.075,
    energy: { joules: 1.9, method: 'estimated', source: 'cpu-time-model' },
    carbon: { gCO2e: 0.00016, intensityGPerKwh: 300, intensitySource: 'static' },
  });
}
