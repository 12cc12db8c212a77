import t, { type Test } from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '../../daemon/asr/recognizer.js';
import type { LoadedModel } from '../../daemon/asr/types.js';
import { decodeAll } from '../../daemon/audio/decode-file.js';
import { MODEL_SAMPLE_RATE } from '../../daemon/audio/types.js';
import { encodeFloatWav } from '../../daemon/audio/wav-writer.js';
import type { TranscriptPayload } from '../../daemon/mqtt/payloads/transcript.js';
import type { JobRun } from '../../daemon/pipeline/job-processor.js';
import { parseJobProgress } from '../../daemon/pipeline/job-progress.js';
import type { TranscriptionJob } from '../../daemon/pipeline/types.js';
import { resolveSegmenterSettings } from '../../daemon/vad/sensitivity.js';
import { SileroDetector } from '../../daemon/vad/silero.js';
import { fixturesDir } from '../helpers/paths.js';
import { countingDetector, fileJobProcessor } from '../helpers/file-job-processor.js';

/**
 * Resume points with Silero VAD, as shipped, whose cut depends on where it starts: its
 * windows and LSTM state start afresh there. The fixture recording of
 * test/pipeline/job-resume.test.ts, ten times over (20 segments).
 */

const COPIES = 10;

let model: LoadedModel;
let silero: SileroDetector;
let dir: string;
let recording: string;

t.before(async () => {
  model = await loadModel(join(fixturesDir, 'asr', 'models', 'nemo-ctc'));
  silero = await SileroDetector.load();
  dir = mkdtempSync(join(tmpdir(), 'earshot-resume-crash-'));
  const one = await decodeAll(join(fixturesDir, 'audio', 'speech-silence-speech.wav'));
  const long = new Float32Array(one.length * COPIES);
  for (let k = 0; k < COPIES; k++) long.set(one, k * one.length);
  recording = join(dir, 'meeting.wav');
  writeFileSync(recording, encodeFloatWav(long, MODEL_SAMPLE_RATE));
});
t.teardown(async () => {
  void model.release();
  await silero.close();
  rmSync(dir, { recursive: true, force: true });
});

const job = (): TranscriptionJob => ({ id: 'job-1', sourceId: 'cli', path: recording, kind: 'file', recording, startedAtMs: Date.UTC(2026, 10, 25) });

function slot(saved?: unknown[]) {
  const state = { records: saved ? structuredClone(saved) : (undefined as unknown[] | undefined) };
  const keep = (how: 'replace' | 'append') => async (records: unknown[]) => {
    state.records = how === 'replace' ? structuredClone(records) : [...(state.records ?? []), ...structuredClone(records)];
  };
  return { run: { saved: state.records ? structuredClone(state.records) : undefined, replace: keep('replace'), append: keep('append') } satisfies JobRun['progress'], state };
}

const isResume = (r: unknown) => typeof r === 'object' && r !== null && 'resumeAt' in r;

/** Ids published for another stretch of audio (or other text) than the same id was published for before. */
function reusedIds(before: readonly TranscriptPayload[], after: readonly TranscriptPayload[]): string[] {
  const first = new Map(before.map((p) => [p.id, p]));
  return after.filter((p) => {
    const b = first.get(p.id);
    return b && (b.startOffsetSec !== p.startOffsetSec || b.endOffsetSec !== p.endOffsetSec || b.text !== p.text);
  }).map((p) => `${p.id}: ${first.get(p.id)!.startOffsetSec}-${first.get(p.id)!.endOffsetSec} s, then ${p.startOffsetSec}-${p.endOffsetSec} s`);
}

/** Runs until `stopAfter` transcripts are out; the run ends at the end of that batch, interrupted. */
async function runUntil(t: Test, saved: unknown[] | undefined, stopAfter: number) {
  const stop = new AbortController();
  const h = fileJobProcessor(model, { detector: () => silero, onPublish: (n) => n === stopAfter && stop.abort(new Error('stopping')) });
  const progress = slot(saved);
  await t.rejects(h.processor.process(job(), { signal: stop.signal, progress: progress.run }), { name: 'JobInterrupted' });
  return { published: h.published, records: progress.state.records! };
}

/**
 * What a crash one batch later leaves: the records as they were before the last batch was
 * saved (and without the resume point a clean interruption writes), while that batch's
 * transcripts are out.
 */
function crashedBeforeLastSave(records: unknown[]): unknown[] {
  const kept = records.filter((r) => !isResume(r));
  const progress = parseJobProgress(records)!;
  const points = progress.resumePoints.slice(0, -1);
  return [kept[0], ...progressBody(kept.slice(1, kept.length - 4), points)];
}

function progressBody(segments: unknown[], points: Array<{ segments: number; sample: number }>): unknown[] {
  const out: unknown[] = [];
  segments.forEach((s, i) => {
    for (const p of points) if (p.segments === i) out.push({ resumeAt: p });
    out.push(s);
  });
  for (const p of points) if (p.segments === segments.length) out.push({ resumeAt: p });
  return out;
}

/** Runs from `saved` and is stopped once the VAD has looked at `untilSample` samples, before it has a batch to transcribe. */
async function stoppedWhileCutting(t: Test, saved: unknown[], untilSample: number) {
  const stop = new AbortController();
  let looked = 0;
  const h = fileJobProcessor(model, { detector: () => countingDetector(silero, (n) => (looked += n) > untilSample && stop.abort(new Error('stopping'))) });
  const progress = slot(saved);
  await t.rejects(h.processor.process(job(), { signal: stop.signal, progress: progress.run }), { name: 'JobInterrupted' });
  t.equal(h.published.length, 0, 'stopped before it had a batch to transcribe');
  return progress.state.records!;
}

/*
 * A crash can leave transcripts in the outbox that the progress file does not hold: the
 * batch after the last save. The next run gives them their ids again only by cutting the
 * audio from where the crashed run started cutting. A resume point that run saves before it
 * has cut past them would make the run after it cut them from elsewhere, under the same ids.
 */

t.test('crashed with a batch out but unsaved, then stopped before cutting past it: no id goes out again for another cut', async (t) => {
  // Run A saves the batch of segments 0-3, publishes the batch of 4-7, and dies before saving it.
  const a = await runUntil(t, undefined, 5);
  t.equal(a.published.length, 8, 'run A published eight transcripts');
  const crashed = crashedBeforeLastSave(a.records);
  t.equal(parseJobProgress(crashed)?.segments.length, 4, 'and saved four');

  // Run B cuts the file again from the start, takes 0-3, and is stopped with the next segments cut, not transcribed.
  const fourthEnd = Math.round(a.published[3]!.endOffsetSec * MODEL_SAMPLE_RATE);
  const stopped = await stoppedWhileCutting(t, crashed, fourthEnd + 2 * MODEL_SAMPLE_RATE);

  // Run C finishes the job.
  const c = fileJobProcessor(model, { detector: () => silero });
  const outcome = await c.processor.process(job(), { progress: slot(stopped).run });
  t.same(reusedIds(a.published, c.published), [], 'no id run A published goes out again for another stretch of audio');
  t.equal(outcome.transcripts.length, new Set(outcome.transcripts.map((tr) => tr.id)).size);
});

t.test('resumed from a point, crashed with a batch out but unsaved, then stopped before cutting past it: the same', async (t) => {
  // Run A1 is stopped cleanly after two batches: a resume point after segment 8.
  const a1 = await runUntil(t, undefined, 5);
  t.same(parseJobProgress(a1.records)?.resumePoints.length, 1);
  // Run A2 starts there, saves the batch of 8-11, publishes 12-15, and dies before saving them.
  const a2 = await runUntil(t, a1.records, 5);
  t.equal(a2.published.length, 8);
  const crashed = crashedBeforeLastSave(a2.records);
  t.equal(parseJobProgress(crashed)?.segments.length, 12, 'twelve saved, after the first point');
  t.equal(parseJobProgress(crashed)?.resumePoints.length, 1);

  // Run B starts at the point, takes 8-11 as it cuts them again, and is stopped with the next ones cut, not transcribed.
  const twelfthEnd = Math.round(a2.published[3]!.endOffsetSec * MODEL_SAMPLE_RATE);
  const startSample = parseJobProgress(crashed)!.resumePoints[0]!.sample;
  const stopped = await stoppedWhileCutting(t, crashed, twelfthEnd - startSample + 2 * MODEL_SAMPLE_RATE);

  const c = fileJobProcessor(model, { detector: () => silero });
  await c.processor.process(job(), { progress: slot(stopped).run });
  t.same(reusedIds([...a1.published, ...a2.published], c.published), [], 'no id run A2 published goes out again for another stretch of audio');
});

t.test('a run resumed where a long speech was split at maxSegmentSec loses none of the speech after the split', async (t) => {
  // Speech of about 2 s, split at 1 s: the part after a split starts in the middle of speech.
  const vad = resolveSegmenterSettings({ maxSegmentSec: 1 });
  const all = slot();
  const whole = await fileJobProcessor(model, { detector: () => silero, vad }).processor.process(job(), { progress: all.run });
  const saved = parseJobProgress(all.state.records)!;
  const splits = saved.segments.flatMap((s, k) => (k > 0 && saved.segments[k - 1]!.endSec === s.startSec ? [k] : []));
  t.ok(splits.length >= 10, `${splits.length} splits`);
  const gaps: string[] = [];
  for (const k of splits) {
    // What a run stopped after segment k - 1 (the first part of a split) leaves.
    const sample = Math.round(saved.segments[k - 1]!.endSec * MODEL_SAMPLE_RATE);
    const records = [all.state.records![0], ...saved.segments.slice(0, k), { resumeAt: { segments: k, sample } }];
    const outcome = await fileJobProcessor(model, { detector: () => silero, vad }).processor.process(job(), { progress: slot(records).run });
    const next = whole.transcripts.find((tr) => tr.startOffsetSec === saved.segments[k]!.startSec);
    const first = outcome.transcripts.find((tr) => tr.startOffsetSec >= sample / MODEL_SAMPLE_RATE - 1e-6);
    if (next && first && first.startOffsetSec > next.startOffsetSec) gaps.push(`resumed at ${next.startOffsetSec} s: the next transcript starts at ${first.startOffsetSec} s`);
  }
  t.same(gaps, [], 'the part after the split starts where the first part ended, as in an uninterrupted run');
});
