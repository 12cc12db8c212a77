import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '../../daemon/asr/recognizer.js';
import type { LoadedModel } from '../../daemon/asr/types.js';
import type { TranscriptionJob } from '../../daemon/pipeline/types.js';
import { resolveSegmenterSettings } from '../../daemon/vad/sensitivity.js';
import { fileJobProcessor } from '../helpers/file-job-processor.js';
import { fixturesDir } from '../helpers/paths.js';
import { writeLongRecording } from '../helpers/long-recording.js';

/**
 * A fleet job's transcript ids are the job's, not the taker's: a taker that dies after
 * publishing part of a job, and the box that runs it next (another site, another attempt),
 * give each segment the same id, so a subscriber that drops ids it has seen has the job
 * once. The real processor, the fixture NeMo-CTC model and the energy VAD, on a recording
 * of 3 × (speech, pause, speech). And a job `jobs retry` put back never reuses the ids of an
 * earlier try, whose words may have been of other audio.
 */

let model: LoadedModel;
let dir: string;
let recording: string;

t.before(async () => {
  model = await loadModel(join(fixturesDir, 'asr', 'models', 'nemo-ctc'));
  dir = mkdtempSync(join(tmpdir(), 'earshot-fleet-ids-'));
  recording = join(dir, 'meeting.wav');
  await writeLongRecording(recording, 3);
});
t.teardown(() => {
  void model.release();
  rmSync(dir, { recursive: true, force: true });
});

/** The fleet job `f-meeting` offered by hq, attempt `attempt` (without a scope: as a box's own job). */
const taken = (attempt: number, idScope: string | null = 'fleet/hq/f-meeting'): TranscriptionJob => ({
  id: `f-meeting.a${attempt}`,
  sourceId: 'fleet-hq',
  path: recording,
  kind: 'file',
  recording: 'meeting.wav',
  ...(idScope !== null ? { idScope } : {}),
});

t.test('a taker that died part-way and the next taker publish each segment under one id', async (t) => {
  const dying = fileJobProcessor(model, {
    siteId: 'lab-2',
    onPublish: (n) => {
      if (n === 2) throw new Error('SIGKILL');
    },
  });
  await t.rejects(dying.processor.process(taken(1)), /SIGKILL/);
  const next = fileJobProcessor(model, { siteId: 'lab-3' });
  await next.processor.process(taken(2));
  t.equal(next.published.length, 6, 'the next taker published every segment');
  t.ok(dying.published.length >= 2, `the dying taker published ${dying.published.length} first`);
  const ids = next.published.map((p) => p.id);
  t.equal(new Set(ids).size, ids.length, 'one id per segment');
  for (const p of dying.published) {
    const again = next.published.find((x) => x.id === p.id);
    t.ok(again, `${p.id} (${p.startOffsetSec} s) published again under its id`);
    t.same([again?.startOffsetSec, again?.text], [p.startOffsetSec, p.text], 'for the same segment and words');
  }
});

t.test('another cut of the audio, or another model, gives new ids: never the ids of other words', async (t) => {
  const first = fileJobProcessor(model, { siteId: 'lab-2' });
  await first.processor.process(taken(1));
  const ids = new Set(first.published.map((p) => p.id));
  const padded = fileJobProcessor(model, { siteId: 'lab-3', vad: resolveSegmenterSettings({ padMs: 200 }) });
  await padded.processor.process(taken(2));
  t.same(padded.published.filter((p) => ids.has(p.id)), [], 'a box with other VAD settings');
  const otherModel = fileJobProcessor(model, { siteId: 'lab-3', modelId: 'other-model' });
  await otherModel.processor.process(taken(2));
  t.same(otherModel.published.filter((p) => ids.has(p.id)), [], 'a box with another model');
});

t.test("a box's own job keeps ids of its site and job", async (t) => {
  const a = fileJobProcessor(model, { siteId: 'lab-2' });
  await a.processor.process(taken(1, null));
  const b = fileJobProcessor(model, { siteId: 'lab-3' });
  await b.processor.process(taken(1, null));
  t.same(
    a.published.filter((p) => b.published.some((x) => x.id === p.id)),
    [],
    'two sites transcribing the same file under the same job id publish apart',
  );
});

t.test('a job put back by jobs retry publishes under ids no earlier try used (its file may hold other audio now)', async (t) => {
  const first = fileJobProcessor(model, { siteId: 'lab-2' });
  await first.processor.process(taken(1, null));
  const retried = fileJobProcessor(model, { siteId: 'lab-2' });
  await retried.processor.process({ ...taken(1, null), retries: 1 });
  t.equal(retried.published.length, first.published.length, 'the same segments');
  t.same(retried.published.filter((p) => first.published.some((x) => x.id === p.id)), [], 'under new ids');
  const again = fileJobProcessor(model, { siteId: 'lab-2' });
  await again.processor.process({ ...taken(1, null), retries: 1 });
  t.same(again.published.map((p) => p.id), retried.published.map((p) => p.id), 'and the same ids when that try runs again (a crash)');
});
