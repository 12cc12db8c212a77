import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '../../daemon/asr/recognizer.js';
import type { LoadedModel } from '../../daemon/asr/types.js';
import { decodeAll } from '../../daemon/audio/decode-file.js';
import { MODEL_SAMPLE_RATE } from '../../daemon/audio/types.js';
import { encodeFloatWav } from '../../daemon/audio/wav-writer.js';
import { JobInputError, type JobRun } from '../../daemon/pipeline/job-processor.js';
import { parseJobProgress, summarizeJobProgress } from '../../daemon/pipeline/job-progress.js';
import type { TranscriptionJob } from '../../daemon/pipeline/types.js';
import { JobInterrupted } from '../../daemon/scheduler/job-interrupted.js';
import { isTransient } from '../../daemon/shortage/transient-errors.js';
import { WARM_UP_SEC } from '../../daemon/vad/detect-file.js';
import { EnergyDetector } from '../../daemon/vad/energy.js';
import { resolveSegmenterSettings } from '../../daemon/vad/sensitivity.js';
import { ffmpegChild } from '../helpers/ffmpeg-child.js';
import { fixturesDir } from '../helpers/paths.js';
import { countingDetector, fileJobProcessor, type FileJobHarness } from '../helpers/file-job-processor.js';

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

function harness(modelId = model.id, onPublish: (count: number) => void = () => undefined, vad = resolveSegmenterSettings({})): FileJobHarness {
  return fileJobProcessor(model, { modelId, onPublish, vad });
}

const job = (): TranscriptionJob => ({ id: 'job-1', sourceId: 'cli', path: recording, kind: 'file', recording, startedAtMs: Date.UTC(2026, 10, 25) });

/** A progress slot with the queue's semantics in memory: the records, and each save made. */
function slot(saved?: unknown[]) {
  const state = { records: saved ? [...saved] : undefined as unknown[] | undefined, saves: [] as Array<{ how: 'replace' | 'append'; records: unknown[] }> };
  const keep = (how: 'replace' | 'append') => async (records: unknown[]) => {
    state.saves.push({ how, records: structuredClone(records) });
    state.records = how === 'replace' ? structuredClone(records) : [...(state.records ?? []), ...structuredClone(records)];
  };
  return { run: { saved, replace: keep('replace'), append: keep('append') } satisfies JobRun['progress'], state };
}

/** Runs the job until `stopAfter` transcripts reached the outbox, then aborts it; returns the saved records. */
async function interruptedRun(t: Test, stopAfter: number): Promise<unknown[]> {
  const stop = new AbortController();
  const h = harness(model.id, (n) => n === stopAfter && stop.abort(new Error('stopping')));
  const progress = slot();
  await t.rejects(h.processor.process(job(), { signal: stop.signal, progress: progress.run }), { name: 'JobInterrupted', segmentsDone: 8 }, 'the run ends at the next batch, as interrupted');
  if (!progress.state.records) throw new Error('no progress saved');
  return progress.state.records;
}

/**
 * What a crash in the same place leaves: the segments, without the resume point that only
 * a clean interruption writes. The next run has to cut the whole file again.
 */
async function crashedRun(t: Test, stopAfter: number): Promise<unknown[]> {
  return (await interruptedRun(t, stopAfter)).filter((r) => !isResumeRecord(r));
}

const isResumeRecord = (r: unknown) => typeof r === 'object' && r !== null && 'resumeAt' in r;

/** The record of segment `index` among saved records (the header and marks come between). */
function segmentRecord(records: unknown[], index: number): { startSec: number; endSec: number } {
  const segments = records.filter((r) => typeof r === 'object' && r !== null && 'startSec' in r);
  return segments[index] as { startSec: number; endSec: number };
}

async function uninterrupted() {
  const whole = await harness().processor.process(job(), { progress: slot().run });
  return { whole, ids: new Set(whole.transcripts.map((tr) => tr.id)) };
}

t.test('a run stopped after its second batch resumes at segment 8 and ends with the same transcripts', async (t) => {
  const { whole } = await uninterrupted();
  t.equal(whole.transcripts.length, SEGMENTS, 'baseline: one transcript per segment');

  const saved = await interruptedRun(t, 5);
  const parsed = parseJobProgress(saved);
  t.equal(parsed?.segments.length, 8, 'two batches saved');
  t.match(parsed?.header, { version: 2, modelId: model.id, generation: 0, cut: /^energy \{/ });
  const eighthEnd = parsed!.segments[7]!.endSec;
  t.same(parsed?.resumePoints, [{ segments: 8, sample: Math.round(eighthEnd * MODEL_SAMPLE_RATE) }], 'a clean interruption saves where the next run starts: the end of the eighth segment');
  t.ok(isResumeRecord(saved.at(-1)), 'the resume point follows the segments');
  const summary = summarizeJobProgress(saved);
  t.equal(summary?.segments, 8, '`jobs list` shows 8 segments done');
  t.ok(Math.abs((summary?.throughSec ?? 0) - whole.transcripts[7]!.endOffsetSec) < 0.001, `through the end of the eighth (${summary?.throughSec} s)`);

  let looked = 0;
  const h = fileJobProcessor(model, { detector: () => countingDetector(new EnergyDetector(), (n) => (looked += n)) });
  const resumed = await h.processor.process(job(), { progress: slot(saved).run });
  t.same(h.published.map((p) => p.id), whole.transcripts.slice(8).map((p) => p.id), 'only the last four segments were transcribed and published, under the ids they would have had');
  t.same(resumed.transcripts, whole.transcripts, 'the outcome lists every transcript, the kept ones first');
  t.equal(resumed.text, whole.text);
  t.equal(resumed.joules, whole.joules, 'kept segments keep their energy');
  t.equal(resumed.audioSec, whole.audioSec);
  t.ok(Math.abs(resumed.speechSec - whole.speechSec) < 1e-9, 'and their speech');
  const total = Math.round(whole.audioSec * MODEL_SAMPLE_RATE);
  const hop = new EnergyDetector().hopSamples;
  const warmUp = Math.floor((WARM_UP_SEC * MODEL_SAMPLE_RATE) / hop) * hop;
  t.equal(looked, total - Math.round(eighthEnd * MODEL_SAMPLE_RATE) + warmUp, 'the VAD looked only at the audio after the resume point, and the few seconds before it that warm it up');
  t.match(h.logs.join('\n'), /job resumed from its saved progress.*segmentsKept=8.*segmentsTranscribed=4.*readFromSec=/);
});

t.test('after a crash (no resume point) the next run cuts the file again from the start, and keeps the same ids', async (t) => {
  const { whole } = await uninterrupted();
  const saved = await crashedRun(t, 5);
  let looked = 0;
  const h = fileJobProcessor(model, { detector: () => countingDetector(new EnergyDetector(), (n) => (looked += n)) });
  const resumed = await h.processor.process(job(), { progress: slot(saved).run });
  t.equal(looked, Math.round(whole.audioSec * MODEL_SAMPLE_RATE), 'the VAD looked at the whole file: transcripts published but not saved get the same cut, so the same ids');
  t.same(h.published.map((p) => p.id), whole.transcripts.slice(8).map((p) => p.id));
  t.same(resumed.transcripts, whole.transcripts);
});

t.test('resumed from a point, then crashed: the next run starts at the same point and takes what the second run saved', async (t) => {
  const { whole } = await uninterrupted();
  const saved = await interruptedRun(t, 5);
  // The second run gets one more batch (segments 8-11 are cut from the resume point) into
  // the outbox and the progress file, then dies before it finishes.
  const second = harness();
  const progress = slot(saved);
  await second.processor.process(job(), { progress: progress.run });
  const crashed = progress.state.records!;
  t.equal(parseJobProgress(crashed)?.segments.length, SEGMENTS, 'the second run saved its batch after the resume point');
  const third = harness();
  const outcome = await third.processor.process(job(), { progress: slot(crashed).run });
  t.equal(third.published.length, 0, 'nothing transcribed again: the segments after the point are cut the same way from the same place');
  t.same(outcome.transcripts, whole.transcripts);
});

t.test('stopped while cutting again what a crashed run saved: the saved progress is left as it is', async (t) => {
  const saved = await crashedRun(t, 5);
  const stop = new AbortController();
  let looked = 0;
  // A quarter of the file in: segments 0-2 are cut again and taken, 3-7 not reached yet.
  const quarter = Math.round((SEGMENTS / 4) * (5.456 / 2) * MODEL_SAMPLE_RATE);
  const h = fileJobProcessor(model, { detector: () => countingDetector(new EnergyDetector(), (n) => (looked += n) > quarter && stop.abort(new Error('stopping'))) });
  const progress = slot(saved);
  await t.rejects(h.processor.process(job(), { signal: stop.signal, progress: progress.run }), { name: 'JobInterrupted' });
  t.equal(h.published.length, 0, 'nothing transcribed');
  t.same(progress.state.saves, [], 'nothing saved: a resume point there would drop the saved segments after it');
});

t.test('a batch that fails part-way while the run is interrupted saves no resume point', async (t) => {
  // Its first transcripts may be in the outbox without being saved: only cutting the whole
  // file again gives them their ids again.
  const stop = new AbortController();
  let published = 0;
  const failing = fileJobProcessor(model, {
    onPublish: (n) => {
      published = n;
      if (n === 5) {
        stop.abort(new Error('stopping'));
        throw new Error('outbox full');
      }
    },
  });
  const progress = slot();
  await t.rejects(failing.processor.process(job(), { signal: stop.signal, progress: progress.run }), { name: 'JobInterrupted' });
  t.equal(published, 5, 'the fifth transcript reached the outbox before its batch failed');
  const parsed = parseJobProgress(progress.state.records);
  t.equal(parsed?.segments.length, 4, 'the first batch is saved');
  t.same(parsed?.resumePoints, [], 'but no resume point');
});

t.test('a new generation after a resume point keeps the point when the file is rewritten', async (t) => {
  const saved = await interruptedRun(t, 5);
  const second = harness();
  const progress = slot(saved);
  await second.processor.process(job(), { progress: progress.run });
  const records = progress.state.records!;
  // Segment 9 (after the point) is saved as cut elsewhere: the next run starts a new generation there.
  const ninth = records.findIndex((r) => !isResumeRecord(r) && (r as { startSec?: number }).startSec === parseJobProgress(records)!.segments[9]!.startSec);
  (records[ninth] as { endSec: number }).endSec += 0.01;
  const third = harness();
  const again = slot(records);
  await third.processor.process(job(), { progress: again.run });
  t.equal(third.published.length, SEGMENTS - 9, 'segments 9-11 transcribed again');
  const parsed = parseJobProgress(again.state.records);
  t.equal(parsed?.header.generation, 1);
  t.same(parsed?.resumePoints, parseJobProgress(saved)?.resumePoints, 'the resume point survives the rewrite');
  t.ok(isResumeRecord(again.state.records![9]), 'in its place, after the eighth segment');
  t.equal(parsed?.segments.length, 9, 'the rewrite, before the new generation went out, held the nine kept segments');
});

t.test('progress saved before resume points (version 1) is still used, and written back as version 2', async (t) => {
  const { whole } = await uninterrupted();
  // Version 1 had neither resume points nor publishing marks.
  const saved = (await crashedRun(t, 5)).filter((r) => !(typeof r === 'object' && r !== null && 'publishing' in r));
  (saved[0] as { version: number }).version = 1;
  const h = harness();
  const progress = slot(saved);
  const outcome = await h.processor.process(job(), { progress: progress.run });
  t.equal(h.published.length, SEGMENTS - 8, 'its eight segments kept');
  t.same(outcome.transcripts, whole.transcripts);
  t.equal(parseJobProgress(progress.state.records)?.header.version, 2);
});

t.test('a resume point that does not fit where it stands ends what is read', async (t) => {
  const saved = await interruptedRun(t, 5);
  const at = saved.findIndex(isResumeRecord);
  const point = (saved[at] as { resumeAt: { segments: number; sample: number } }).resumeAt;
  for (const [what, bad] of [
    ['a count of segments that is not those before it', { segments: 7, sample: point.sample }],
    ['a place before the end of the last segment', { segments: 8, sample: point.sample - 1 }],
    ['a place that is not a whole sample', { segments: 8, sample: point.sample + 0.5 }],
  ] as const) {
    const records = [...saved];
    records[at] = { resumeAt: bad };
    t.same(parseJobProgress(records)?.resumePoints, [], what);
  }
  const v1 = structuredClone(saved);
  (v1[0] as { version: number }).version = 1;
  t.same(parseJobProgress(v1)?.resumePoints, [], 'nor in a version 1 file, which never had them');
});

t.test('progress made by another model is not used, and the new transcripts get new ids', async (t) => {
  const { ids } = await uninterrupted();
  const saved = await interruptedRun(t, 5);
  const h = harness('another-model');
  const progress = slot(saved);
  const outcome = await h.processor.process(job(), { progress: progress.run });
  t.equal(h.published.length, SEGMENTS, 'every segment transcribed again');
  t.equal(outcome.transcripts.length, SEGMENTS);
  t.same(h.published.filter((p) => ids.has(p.id)).map((p) => p.id), [], 'none reuses an id published for the old text');
  t.equal(parseJobProgress(progress.state.records)?.header.generation, 1, 'a new generation on disk');
  t.match(h.logs.join('\n'), /saved by another model/);
});

t.test('progress saved with other VAD settings is not used: the cuts differ, so the ids do too', async (t) => {
  const { ids } = await uninterrupted();
  const saved = await interruptedRun(t, 5);
  const h = harness(model.id, () => undefined, resolveSegmenterSettings({ padMs: 200 }));
  const outcome = await h.processor.process(job(), { progress: slot(saved).run });
  t.equal(h.published.length, outcome.transcripts.length, 'every segment transcribed again');
  t.same(h.published.filter((p) => ids.has(p.id)).map((p) => p.id), [], 'none reuses an id published for another cut');
  t.match(h.logs.join('\n'), /saved with other VAD settings/);
});

t.test('where the VAD cuts differently from the saved progress, the job transcribes from there under new ids', async (t) => {
  const { whole, ids } = await uninterrupted();
  const saved = await crashedRun(t, 5);
  segmentRecord(saved, 3).endSec += 0.01;
  const h = harness();
  const progress = slot(saved);
  const outcome = await h.processor.process(job(), { progress: progress.run });
  t.equal(h.published.length, SEGMENTS - 3, 'segments 0-2 kept, 3-11 transcribed');
  t.same(h.published.filter((p) => ids.has(p.id)).map((p) => p.id), [], 'the re-cut segments do not reuse the ids of the old cut');
  t.same(outcome.transcripts.slice(0, 3), whole.transcripts.slice(0, 3), 'the kept ones keep theirs');
  t.same(outcome.transcripts.slice(3).map((tr) => tr.text), whole.transcripts.slice(3).map((tr) => tr.text), 'the same text for the same audio');
  t.equal(progress.state.saves[0]?.how, 'replace', 'the first save after the change rewrites the file');
  t.equal(parseJobProgress(progress.state.records)?.header.generation, 1);
  t.match(h.logs.join('\n'), /cut differently from the saved progress.*segment=3/);
});

t.test('a new generation is on disk before its first transcript goes out', async (t) => {
  const saved = await interruptedRun(t, 5);
  const progress = slot(saved);
  let onDiskAtFirstPublish: number | undefined;
  const h = harness('another-model', (n) => {
    if (n === 1) onDiskAtFirstPublish = parseJobProgress(progress.state.records)?.header.generation;
  });
  await h.processor.process(job(), { progress: progress.run });
  t.equal(onDiskAtFirstPublish, 1, 'a crash right after it could not make the next run reuse generation 1 for other text');
});

t.test('cut differently, then interrupted again: the next run keeps both generations\' ids', async (t) => {
  const saved = await crashedRun(t, 5);
  segmentRecord(saved, 3).endSec += 0.01; // cut elsewhere now
  const stop = new AbortController();
  const second = harness(model.id, (n) => n === 6 && stop.abort(new Error('stopping')));
  const progress = slot(saved);
  await t.rejects(second.processor.process(job(), { signal: stop.signal, progress: progress.run }), { name: 'JobInterrupted' });
  const third = harness();
  const outcome = await third.processor.process(job(), { progress: slot(progress.state.records).run });
  const all = [...second.published, ...third.published].map((p) => p.id);
  t.equal(new Set(all).size, all.length, 'no id published twice');
  t.equal(outcome.transcripts.length, SEGMENTS);
  t.same(outcome.transcripts.slice(3, 3 + second.published.length).map((tr) => tr.id), second.published.map((p) => p.id), 'what the second run published is kept under its ids');
  t.match(third.logs.join('\n'), /job resumed from its saved progress/);
});

t.test('progress that is not understood means starting over, said once', async (t) => {
  const whole = await uninterrupted();
  for (const bad of [[{ version: 3, modelId: model.id, cut: '', generation: 0 }], ['garbage'], []]) {
    const h = harness();
    const outcome = await h.processor.process(job(), { progress: slot(bad).run });
    t.equal(h.published.length, SEGMENTS, `${JSON.stringify(bad).slice(0, 40)}: every segment transcribed`);
    t.equal(outcome.transcripts.length, SEGMENTS);
    t.equal(h.logs.filter((l) => l.includes('not understood')).length, 1);
    t.ok(h.published.every((p) => !whole.ids.has(p.id)), 'under ids no earlier run can have used');
  }
});

t.test('a damaged segment record ends what is kept', async (t) => {
  const saved = await crashedRun(t, 5);
  saved[saved.indexOf(segmentRecord(saved, 2))] = { startSec: 'x' };
  const h = harness();
  await h.processor.process(job(), { progress: slot(saved).run });
  t.equal(h.published.length, SEGMENTS - 2, 'the two segments before it kept');
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
  t.same(progress.state.saves, []);
});

t.test('a run writes the header and its segments once, then appends only new segments', async (t) => {
  const h = harness();
  const progress = slot();
  await h.processor.process(job(), { progress: progress.run });
  t.same(progress.state.saves.map((s) => `${s.how} ${s.records.length}`), ['replace 2', 'append 4', 'append 4', 'append 4'], 'the header and a publishing mark before the first transcript, then 4, 4 and 4: no save rewrites the past');
  t.same(progress.state.saves[0]?.records[1], { publishing: true });
  t.equal(parseJobProgress(progress.state.records)?.segments.length, SEGMENTS);
});

t.test('a failed save is said once, the job goes on, and the next save writes the whole file', async (t) => {
  const h = harness();
  const hows: string[] = [];
  let fail = 0;
  const failing = async (how: string) => {
    hows.push(how);
    if (hows.length > 1 && fail-- > 0) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
  };
  fail = 2;
  const outcome = await h.processor.process(job(), { progress: { saved: undefined, replace: () => failing('replace'), append: () => failing('append') } });
  t.equal(outcome.transcripts.length, SEGMENTS);
  t.same(hows, ['replace', 'append', 'replace', 'replace'], 'the mark, then each save after a failure rewrites the file');
  t.equal(h.logs.filter((l) => /could not save job progress/.test(l)).length, 1);
});

t.test('a run that published but could not save leaves its mark: the next run saves no resume point before cutting past it', async (t) => {
  const stop = new AbortController();
  const first = slot();
  await t.rejects(harness(model.id, (n) => n === 1 && stop.abort(new Error('stopping'))).processor.process(job(), { signal: stop.signal, progress: first.run }), { name: 'JobInterrupted', segmentsDone: 4 });
  const saved = first.state.records!;
  // Run A resumes at the point after segment 3, saves its publishing mark, publishes
  // segments 4-7, and then every save fails (the disk filled), its resume point's too.
  const stopA = new AbortController();
  const a = harness(model.id, (n) => n === 1 && stopA.abort(new Error('stopping')));
  const progressA = slot(saved);
  let writes = 0;
  const failAfterMark = (how: 'replace' | 'append') => async (records: unknown[]) => {
    if (writes++ > 0) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    await progressA.run[how](records);
  };
  await t.rejects(a.processor.process(job(), { signal: stopA.signal, progress: { saved, replace: failAfterMark('replace'), append: failAfterMark('append') } }), { name: 'JobInterrupted' });
  t.equal(a.published.length, 4, 'run A published segments 4-7');
  const afterA = parseJobProgress(progressA.state.records);
  t.equal(afterA?.segments.length, 4, 'none of which is saved');
  t.ok(afterA?.openTail, 'but its mark says a run published after the point');

  // Run B re-cuts them from the same point (same ids) and is stopped at once: no point.
  const stopB = new AbortController();
  const b = harness(model.id, (n) => n === 1 && stopB.abort(new Error('stopping')));
  const progressB = slot(progressA.state.records);
  await t.rejects(b.processor.process(job(), { signal: stopB.signal, progress: progressB.run }), { name: 'JobInterrupted' });
  t.same(b.published.map((p) => p.id), a.published.map((p) => p.id), 'the same cut from the same point: the same ids');
  t.same(parseJobProgress(progressB.state.records)?.resumePoints, afterA?.resumePoints, 'and no new resume point, which would have the next run cut them from elsewhere');
});

t.test('when the publishing mark cannot be saved, nothing is published and the job waits as for any shortage', async (t) => {
  // A run that published without its mark on disk, then could not save again, would leave
  // progress that looks cleanly stopped: the next run could save a resume point before it
  // had cut past what this one published, and give those ids to other cuts.
  const h = harness();
  const full = async () => {
    throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
  };
  const err = await h.processor.process(job(), { progress: { saved: undefined, replace: full, append: full } }).catch((e: unknown) => e);
  t.equal(h.published.length, 0, 'nothing published');
  t.match(err, { message: /job progress could not be saved, so nothing is published until it can: no space left on device/ });
  t.ok(isTransient(err), 'a shortage: the scheduler postpones the job without counting the try');
  t.notOk(err instanceof JobInputError, 'not blamed on the file');
});

t.test('a FLAC job whose ffmpeg is stopped by SIGTERM is not failed, and resumes from its saved progress', async (t) => {
  // systemd's KillMode=control-group (or a terminal's Ctrl-C) signals ffmpeg along with the
  // daemon, before the daemon's stop grace has interrupted the job.
  const flac = join(dir, 'meeting.flac');
  const made = spawnSync('sox', [recording, '-b', '16', flac]);
  t.equal(made.status, 0, 'sox writes FLAC (apt-get install sox)');
  const flacJob: TranscriptionJob = { ...job(), path: flac, recording: flac };
  let signalled: number | undefined;
  const h = harness(model.id, (n) => {
    if (n !== 1) return;
    signalled = ffmpegChild();
    if (signalled !== undefined) process.kill(signalled, 'SIGTERM');
  });
  const progress = slot();
  const err = await h.processor.process(flacJob, { progress: progress.run }).catch((e: unknown) => e);
  t.ok(signalled, 'ffmpeg was running after the first batch, and was sent SIGTERM');
  t.notOk(err instanceof JobInputError, 'not an input error: the job is not failed for good');
  t.ok(isTransient(err), 'transient: the scheduler postpones it without counting the try');
  t.equal(parseJobProgress(progress.state.records)?.segments.length, 4, 'the first batch was saved');

  const again = harness();
  const resumed = await again.processor.process(flacJob, { progress: slot(progress.state.records).run });
  t.equal(resumed.transcripts.length, SEGMENTS, 'the next run finishes the job');
  t.equal(again.published.length, SEGMENTS - 4, 'only the segments not yet done were transcribed');
  t.match(again.logs.join('\n'), /job resumed from its saved progress.*segmentsKept=4/);
});
