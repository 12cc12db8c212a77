import t, { type Test } from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '../../daemon/asr/recognizer.js';
import type { LoadedModel } from '../../daemon/asr/types.js';
import { decodeAll } from '../../daemon/audio/decode-file.js';
import { MODEL_SAMPLE_RATE } from '../../daemon/audio/types.js';
import { encodeFloatWav } from '../../daemon/audio/wav-writer.js';
import { LogSink } from '../../daemon/log/logger.js';
import type { TranscriptPayload } from '../../daemon/mqtt/payloads/transcript.js';
import { JobProcessor, type JobRun } from '../../daemon/pipeline/job-processor.js';
import { parseJobProgress, type JobProgress } from '../../daemon/pipeline/job-progress.js';
import type { TranscriptionJob } from '../../daemon/pipeline/types.js';
import { JobInterrupted } from '../../daemon/scheduler/job-interrupted.js';
import { EnergyDetector } from '../../daemon/vad/energy.js';
import { resolveSegmenterSettings } from '../../daemon/vad/sensitivity.js';
import { fixturesDir } from '../helpers/paths.js';

/**
 * A file job stopped part-way resumes from the segments it finished: the real processor,
 * the fixture NeMo-CTC model, the energy VAD, and a recording of 6 × (speech, pause,
 * speech), which the VAD cuts into 12 segments, transcribed 4 to a batch.
 */

const COPIES = 6;
const SEGMENTS = COPIES * 2;

let model: LoadedModel;
let dir: string;
let recording: string;

t.before(async () => {
  model = await loadModel(join(fixturesDir, 'asr', 'models', 'nemo-ctc'));
  dir = mkdtempSync(join(tmpdir(), 'earshot-resume-'));
  const one = await decodeAll(join(fixturesDir, 'audio', 'speech-silence-speech.wav'));
  const long = new Float32Array(one.length * COPIES);
  for (let k = 0; k < COPIES; k++) long.set(one, k * one.length);
  recording = join(dir, 'meeting.wav');
  writeFileSync(recording, encodeFloatWav(long, MODEL_SAMPLE_RATE));
});
t.teardown(() => {
  void model.release();
  rmSync(dir, { recursive: true, force: true });
});

interface Harness {
  processor: JobProcessor<number>;
  /** What reached the outbox, in order. */
  published: TranscriptPayload[];
  logs: string[];
}

/** `onPublish` sees each transcript as it reaches the outbox (to stop a run part-way). */
function harness(modelId = model.id, onPublish: (count: number) => void = () => undefined): Harness {
  const published: TranscriptPayload[] = [];
  const logs: string[] = [];
  const processor = new JobProcessor<number>({
    siteId: 'site',
    recognizer: async () => ({ id: modelId, transcribeBatch: (segments, options) => model.transcribeBatch(segments, options) }),
    plugins: { hotwords: () => [], process: async (tr) => ({ text: tr.text, words: tr.words ?? [], applied: [], skipped: [] }) },
    sink: {
      publishTranscript: async (tr) => {
        published.push(tr);
        onPublish(published.length);
      },
    },
    energy: { begin: async () => 0, end: async () => ({ joules: 2, kWh: 2 / 3.6e6, source: 'estimated', method: 'cpu-model:test' }) },
    carbon: { current: (atMs) => ({ gPerKWh: 100, source: 'static', status: 'live', atMs }) },
    detector: async () => new EnergyDetector(),
    vad: resolveSegmenterSettings({}),
    batchSize: 4,
    logger: new LogSink({ level: 'info', format: 'text', write: (line) => void logs.push(line) }).logger('pipeline'),
  });
  return { processor, published, logs };
}

const job = (): TranscriptionJob => ({ id: 'job-1', sourceId: 'cli', path: recording, kind: 'file', recording, startedAtMs: Date.UTC(2026, 10, 25) });

/** A progress slot like the queue's: starts from `saved`, keeps each save. */
function slot(saved?: unknown): { run: JobRun['progress'] & object; saves: unknown[] } {
  const saves: unknown[] = [];
  return { run: { saved, save: async (p) => void saves.push(structuredClone(p)) }, saves };
}

/** Runs the job until `stopAfter` transcripts reached the outbox, then aborts it. */
async function interruptedRun(t: Test, stopAfter: number): Promise<JobProgress> {
  const stop = new AbortController();
  const h = harness(model.id, (n) => n === stopAfter && stop.abort(new Error('stopping')));
  const progress = slot();
  await t.rejects(h.processor.process(job(), { signal: stop.signal, progress: progress.run }), { name: 'JobInterrupted', segmentsDone: 8 }, 'the run ends at the next batch, as interrupted');
  const last = parseJobProgress(progress.saves.at(-1));
  if (!last) throw new Error('no progress saved');
  return last;
}

t.test('a run stopped after its second batch resumes at segment 8 and ends with the same transcripts', async (t) => {
  const whole = await harness().processor.process(job(), { progress: slot().run });
  t.equal(whole.transcripts.length, SEGMENTS, 'baseline: one transcript per segment');

  const saved = await interruptedRun(t, 5);
  t.equal(saved.segments.length, 8, 'two batches saved');
  t.equal(saved.modelId, model.id);

  const h = harness();
  const resumed = await h.processor.process(job(), { progress: slot(saved).run });
  t.same(h.published.map((p) => p.id), whole.transcripts.slice(8).map((p) => p.id), 'only the last four segments were transcribed and published');
  t.same(resumed.transcripts, whole.transcripts, 'the outcome lists every transcript, the kept ones first');
  t.equal(resumed.text, whole.text);
  t.equal(resumed.joules, whole.joules, 'kept segments keep their energy');
  t.equal(resumed.audioSec, whole.audioSec);
  t.match(h.logs.join('\n'), /job resumed from its saved progress.*segmentsKept=8.*segmentsTranscribed=4/);
});

t.test('progress made by another model is not used', async (t) => {
  const saved = await interruptedRun(t, 5);
  const h = harness('another-model');
  const outcome = await h.processor.process(job(), { progress: slot(saved).run });
  t.equal(h.published.length, SEGMENTS, 'every segment transcribed again');
  t.equal(outcome.transcripts.length, SEGMENTS);
  t.match(h.logs.join('\n'), /saved by another model/);
});

t.test('where the VAD cuts differently from the saved progress, the job transcribes from there', async (t) => {
  const saved = await interruptedRun(t, 5);
  saved.segments[3]!.endSec += 0.01;
  const h = harness();
  const outcome = await h.processor.process(job(), { progress: slot(saved).run });
  t.equal(h.published.length, SEGMENTS - 3, 'segments 0-2 kept, 3-11 transcribed');
  t.same(h.published.map((p) => p.id.length > 0), Array(SEGMENTS - 3).fill(true));
  t.equal(outcome.transcripts.length, SEGMENTS);
  t.match(h.logs.join('\n'), /cut differently from the saved progress.*segment=3/);
});

t.test('unreadable progress means starting over, said once', async (t) => {
  for (const bad of [{ version: 2, modelId: model.id, segments: [] }, { version: 1, modelId: model.id, segments: [{ startSec: 'x' }] }, 'garbage']) {
    const h = harness();
    const outcome = await h.processor.process(job(), { progress: slot(bad).run });
    t.equal(h.published.length, SEGMENTS, `${JSON.stringify(bad).slice(0, 40)}: every segment transcribed`);
    t.equal(outcome.transcripts.length, SEGMENTS);
    t.equal(h.logs.filter((l) => l.includes('not understood')).length, 1);
  }
});

t.test('a run whose signal is already aborted publishes nothing and keeps no progress', async (t) => {
  const h = harness();
  const progress = slot();
  const stop = new AbortController();
  stop.abort(new Error('stopping'));
  const err = await h.processor.process(job(), { signal: stop.signal, progress: progress.run }).catch((e: unknown) => e);
  t.ok(err instanceof JobInterrupted, 'interrupted, not failed');
  t.equal((err as JobInterrupted).segmentsDone, 0);
  t.equal(h.published.length, 0);
  t.same(progress.saves, []);
});

t.test('progress is saved after each full batch, each save a prefix of the next', async (t) => {
  const h = harness();
  const progress = slot();
  await h.processor.process(job(), { progress: progress.run });
  const saves = progress.saves.map((p) => parseJobProgress(p)!);
  t.same(saves.map((p) => p.segments.length), [4, 8, 12]);
  for (let i = 1; i < saves.length; i++) t.same(saves[i]!.segments.slice(0, saves[i - 1]!.segments.length), saves[i - 1]!.segments, `save ${i + 1} extends save ${i}`);
});

t.test('a failed save is said and the job goes on', async (t) => {
  const h = harness();
  const outcome = await h.processor.process(job(), { progress: { saved: undefined, save: () => Promise.reject(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' })) } });
  t.equal(outcome.transcripts.length, SEGMENTS);
  t.match(h.logs.join('\n'), /could not save job progress/);
});
