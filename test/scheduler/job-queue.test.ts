import t from 'tap';
import { existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/paths.js';
import { LogSink, silentLogger } from '../../daemon/log/logger.js';
import { JobQueue } from '../../daemon/scheduler/job-queue.js';
import { listJobs } from '../../daemon/scheduler/control-handlers.js';
import { validateJobId, jobIdForFile } from '../../daemon/scheduler/job-id.js';

const open = async (dir: string, now = () => Date.parse('2026-11-25T08:00:00Z')): Promise<JobQueue> => {
  const q = new JobQueue({ dir, logger: silentLogger, defaultDeadlineHours: 24, maxAttempts: 3, clock: now });
  await q.start();
  return q;
};

t.test('a submitted job is on disk when submit returns, with defaults filled in', async (t) => {
  const dir = tempDir();
  const q = await open(dir);
  const r = await q.submit({ id: 'job-1', input: '/srv/a.wav', priority: 'batch' });
  t.equal(r.created, true);
  const file = join(dir, 'pending', 'job-1.json');
  t.ok(existsSync(file));
  const onDisk = JSON.parse(readFileSync(file, 'utf8'));
  t.equal(onDisk.deadline, '2026-11-26T08:00:00.000Z');
  t.equal(onDisk.attempts, 0);
  t.same(readdirSync(join(dir, 'tmp')), [], 'no temp files left');
});

t.test('idempotent ids: the same id is one job, whatever its state', async (t) => {
  const q = await open(tempDir());
  await q.submit({ id: 'x', input: '/a.wav', priority: 'batch' });
  const again = await q.submit({ id: 'x', input: '/other.wav', priority: 'live' });
  t.equal(again.created, false);
  t.equal(again.job.input, '/a.wav');
  await q.markStarted('x');
  t.equal(await q.complete('x', { text: 'hi' }), true);
  const afterDone = await q.submit({ id: 'x', input: '/a.wav', priority: 'batch' });
  t.same([afterDone.created, afterDone.state], [false, 'done']);
  t.equal(q.pending().length, 0);
});

t.test('concurrent submits of one id make one job', async (t) => {
  const q = await open(tempDir());
  const all = await Promise.all([1, 2, 3].map(() => q.submit({ id: 'same', input: '/a.wav', priority: 'batch' })));
  t.same(all.map((r) => r.created).sort(), [false, false, true]);
  t.equal(q.pending().length, 1);
});

t.test('ids never escape the queue directory', async (t) => {
  const q = await open(tempDir());
  for (const bad of ['../etc/passwd', 'a/b', 'a\0b', '..', '.hidden', '', 'x'.repeat(129), 'a..b']) {
    await t.rejects(q.submit({ id: bad, input: '/a.wav', priority: 'batch' }), /invalid job id/, JSON.stringify(bad));
  }
  t.equal(validateJobId('f-0123abcd_x.1'), 'f-0123abcd_x.1');
  t.match(jobIdForFile('/a.wav', 10, 5), /^f-[0-9a-f]{24}$/);
  t.not(jobIdForFile('/a.wav', 10, 5), jobIdForFile('/a.wav', 11, 5));
});

t.test('bad priority or deadline is refused with what to use', async (t) => {
  const q = await open(tempDir());
  // @ts-expect-error: a CLI or MQTT payload can carry anything
  await t.rejects(q.submit({ id: 'p', input: '/a.wav', priority: 'urgent' }), /use live, interactive or batch/);
  await t.rejects(q.submit({ id: 'd', input: '/a.wav', priority: 'batch', deadline: 'tomorrow' }), /ISO 8601/);
});

t.test('priorities: live > interactive > batch, then deadline', async (t) => {
  const q = await open(tempDir());
  await q.submit({ id: 'b-late', input: '/a', priority: 'batch', deadline: '2026-11-27T00:00:00Z' });
  await q.submit({ id: 'b-early', input: '/a', priority: 'batch', deadline: '2026-11-26T00:00:00Z' });
  await q.submit({ id: 'i', input: '/a', priority: 'interactive' });
  await q.submit({ id: 'l', input: '/a', priority: 'live' });
  t.same(q.pending().map((j) => j.id), ['l', 'i', 'b-early', 'b-late']);
});

t.test('reopen: pending survive, done-but-not-removed is not rerun, crash loops are failed', async (t) => {
  const dir = tempDir();
  const q = await open(dir);
  await q.submit({ id: 'keep', input: '/a', priority: 'batch' });
  await q.submit({ id: 'done-twice', input: '/a', priority: 'batch' });
  await q.submit({ id: 'crashy', input: '/a', priority: 'batch' });
  // Simulate a death between writing done/ and removing pending/.
  writeFileSync(join(dir, 'done', 'done-twice.json'), JSON.stringify({ job: { id: 'done-twice' }, finishedAt: '2026-11-25T08:00:00Z', result: {} }));
  for (let i = 0; i < 3; i++) {
    const again = await open(dir);
    if (again.pending().some((j) => j.id === 'crashy')) await again.markStarted('crashy');
  }
  const q2 = await open(dir);
  t.same(q2.pending().map((j) => j.id), ['keep']);
  t.equal((await q2.get('done-twice'))?.state, 'done');
  t.equal((await q2.get('crashy'))?.state, 'failed');
  const failed = await q2.failedRecords();
  t.match(failed[0]?.error, /stopped while running this job 3 times/);
  t.same(readdirSync(join(dir, 'pending')).sort(), ['keep.json']);
});

t.test('completion is create-once: a second complete of the same job is ignored', async (t) => {
  const dir = tempDir();
  const q = await open(dir);
  await q.submit({ id: 'j', input: '/a', priority: 'batch' });
  const other = await open(dir);
  await q.markStarted('j');
  await other.markStarted('j');
  t.equal(await q.complete('j', { n: 1 }), true);
  t.equal(await other.complete('j', { n: 2 }), false);
  const record = JSON.parse(readFileSync(join(dir, 'done', 'j.json'), 'utf8')) as { format: number; result: unknown };
  t.same(record.result, { n: 1 });
  t.equal(record.format, 1, 'with its format beside job, finishedAt and result, which older releases read alone');
});

t.test('finished records older than their retention are deleted; a recording submitted again is then a new job', async (t) => {
  const dir = tempDir();
  const day = 86_400_000;
  const start = Date.now();
  let now = start;
  const q = new JobQueue({ dir, logger: silentLogger, defaultDeadlineHours: 24, maxAttempts: 3, keepDoneMs: 7 * day, keepFailedMs: 30 * day, clock: () => now });
  await q.start();
  t.teardown(() => q.stop());
  // Each record finishes at its own time on the queue's clock, then the clock comes back.
  const finishAt = { 'old-done': 8, 'new-done': 6, 'old-failed': 31, 'mid-failed': 8 };
  for (const [id, daysAgo] of Object.entries(finishAt)) {
    await q.submit({ id, input: `/srv/${id}.wav`, priority: 'batch' });
    await q.markStarted(id);
    now = start - daysAgo * day;
    if (id.endsWith('-done')) await q.complete(id, { text: id });
    else await q.fail(id, 'not a WAV file');
    now = start;
  }

  t.equal(await q.prune(), 2, 'two records past their retention (by finish time: the files are all new)');
  t.same(readdirSync(join(dir, 'done')), ['new-done.json'], 'a done record older than 7 days is gone, a newer one stays');
  t.same(readdirSync(join(dir, 'failed')), ['mid-failed.json'], 'failed ones are kept 30 days');
  t.same(q.counts(), { pending: 0, running: 0, done: 1, failed: 1 }, 'and the counts follow');
  t.equal(await q.get('old-done'), undefined, 'the old job is no longer known');
  t.equal((await q.submit({ id: 'old-done', input: '/srv/old-done.wav', priority: 'batch' })).created, true, 'so the same recording is a new job');
  t.equal((await q.submit({ id: 'new-done', input: '/srv/new-done.wav', priority: 'batch' })).created, false, 'while a recent one is still recognised');
  now = start + 1.5 * day;
  t.equal(await q.prune(), 1, 'as the clock runs on, the next prune takes the record that passed 7 days');
  t.same(readdirSync(join(dir, 'done')), [], 'new-done is gone now');

  // A restart knows records only by their file's time, and prunes at start.
  now = start;
  await q.submit({ id: 'kept', input: '/srv/kept.wav', priority: 'batch' });
  await q.markStarted('kept');
  await q.complete('kept', { text: 'kept' });
  const age = (kind: string, id: string, days: number) => utimesSync(join(dir, kind, `${id}.json`), new Date(start - days * day), new Date(start - days * day));
  age('done', 'kept', 9);
  age('failed', 'mid-failed', 29);
  const again = new JobQueue({ dir, logger: silentLogger, defaultDeadlineHours: 24, maxAttempts: 3, keepDoneMs: 7 * day, keepFailedMs: 30 * day, clock: () => now });
  await again.start();
  t.teardown(() => again.stop());
  t.notOk(existsSync(join(dir, 'done', 'kept.json')), 'a record that aged while the daemon was down goes at start');
  t.ok(existsSync(join(dir, 'failed', 'mid-failed.json')), 'one still within its retention by file time stays');
  now = start + 2 * day;
  t.equal(await again.prune(), 1, 'and goes once the clock passes its retention');
});

t.test('a finished record a newer release wrote is not read, retried nor deleted, also past its retention', async (t) => {
  const dir = tempDir();
  const day = 86_400_000;
  for (const kind of ['done', 'failed']) mkdirSync(join(dir, kind), { recursive: true });
  const job = (id: string) => ({ id, input: `/srv/${id}.wav`, priority: 'batch', deadline: '2026-11-26T00:00:00Z', submittedAt: '2026-11-25T00:00:00Z', attempts: 1 });
  const later = JSON.stringify({ format: 2, job: job('later'), finishedAt: '2026-11-25T00:00:01Z', error: { code: 'E_LATER' } });
  writeFileSync(join(dir, 'failed', 'later.json'), later);
  writeFileSync(join(dir, 'failed', 'older.json'), JSON.stringify({ job: job('older'), finishedAt: '2026-11-25T00:00:01Z', error: 'not a WAV file' }));
  for (const id of ['later', 'older']) utimesSync(join(dir, 'failed', `${id}.json`), new Date(Date.now() - 40 * day), new Date(Date.now() - 40 * day));
  const q = new JobQueue({ dir, logger: silentLogger, defaultDeadlineHours: 24, maxAttempts: 3, keepFailedMs: 30 * day });
  await q.start();
  t.teardown(() => q.stop());
  t.same(readdirSync(join(dir, 'failed')), ['later.json'], 'the older record past its retention is deleted at start, the newer one kept');
  t.equal(readFileSync(join(dir, 'failed', 'later.json'), 'utf8'), later);
  t.same(await q.failedRecords(), [], 'not listed');
  await t.rejects(q.retry('later'), /job later: .*later\.json is in format 2, written by a newer earshotd.*its failed record is left as it is/);
  await t.rejects(q.submit({ id: 'later', input: '/srv/later.wav', priority: 'batch' }), /left as it is/, 'nor run again as a new job');
  t.equal(readFileSync(join(dir, 'failed', 'later.json'), 'utf8'), later, 'still as it was');
});

t.test('a running job\'s progress is kept across a restart and deleted when the job finishes', async (t) => {
  const dir = tempDir();
  let q = await open(dir);
  await q.submit({ id: 'long', input: '/srv/meeting.wav', priority: 'batch' });
  await q.submit({ id: 'bad', input: '/srv/bad.wav', priority: 'batch' });
  await t.rejects(q.saveProgress('long', [{ head: 1 }], 'replace'), { message: 'job long is not running' }, 'only a running job saves progress');
  await q.markStarted('long');
  await q.saveProgress('long', [{ head: 1 }, { s: 0 }], 'replace');
  await q.saveProgress('long', [{ s: 1 }, { s: 2 }], 'append');
  t.same(await q.progress('long'), [{ head: 1 }, { s: 0 }, { s: 1 }, { s: 2 }], 'appends follow what was saved');
  await q.saveProgress('long', [{ head: 2 }], 'replace');
  t.same(await q.progress('long'), [{ head: 2 }], 'replace starts again');
  await q.saveProgress('long', [{ s: 0 }], 'append');
  t.equal(await q.progress('bad'), undefined, 'none saved');
  t.same(readdirSync(join(dir, 'tmp')), [], 'no temp files left');

  q = await open(dir);
  t.same(await q.progress('long'), [{ head: 2 }, { s: 0 }], 'kept across a restart');
  await q.markStarted('long');
  await q.complete('long', { text: 'done' });
  t.equal(await q.progress('long'), undefined, 'deleted when done');
  t.same(readdirSync(join(dir, 'progress')), []);

  await q.markStarted('bad');
  await q.saveProgress('bad', [{ head: 1 }], 'replace');
  await q.fail('bad', 'corrupt');
  t.same(readdirSync(join(dir, 'progress')), [], 'deleted when failed');
});

t.test('progress left by a job that finished before a crash is swept; a line cut by a power cut ends the records', async (t) => {
  const dir = tempDir();
  let q = await open(dir);
  await q.submit({ id: 'gone', input: '/a.wav', priority: 'batch' });
  await q.submit({ id: 'torn', input: '/b.wav', priority: 'batch' });
  await q.markStarted('gone');
  await q.complete('gone', {});
  // As if the daemon died between the done record and the progress delete.
  writeFileSync(join(dir, 'progress', 'gone.jsonl'), '{"head":1}\n');
  writeFileSync(join(dir, 'progress', 'torn.jsonl'), '{"head":1}\n{"s":0}\n{"s":');
  q = await open(dir);
  t.notOk(existsSync(join(dir, 'progress', 'gone.jsonl')), 'swept at start');
  t.same(await q.progress('torn'), [{ head: 1 }, { s: 0 }], 'the records before the cut line');
});

t.test('a progress file that cannot be read gives no records, with a warning', async (t) => {
  const dir = tempDir();
  const lines: string[] = [];
  const q = new JobQueue({ dir, logger: new LogSink({ level: 'warn', format: 'text', write: (l) => void lines.push(l) }).logger('jobs'), defaultDeadlineHours: 24, maxAttempts: 3 });
  await q.start();
  await q.submit({ id: 'odd', input: '/a.wav', priority: 'batch' });
  mkdirSync(join(dir, 'progress', 'odd.jsonl'));
  t.same(await q.progress('odd'), [], 'no records: the job starts over as after damage, under a new generation');
  t.match(lines.join('\n'), /unreadable job progress ignored; the job starts from the beginning.*odd/);
});

t.test('the crash-loop guard counts only deaths without progress in between', async (t) => {
  const dir = tempDir();
  await (await open(dir)).submit({ id: 'long', input: '/srv/ten-hours.wav', priority: 'batch' });
  // Five deaths in a row (SIGKILL, power cut), each after one more batch was saved: never failed.
  for (let run = 1; run <= 5; run++) {
    const q = await open(dir);
    t.equal((await q.get('long'))?.state, 'pending', `start ${run}: still pending`);
    const job = await q.markStarted('long');
    await q.saveProgress('long', [{ segments: run * 4 }], 'replace');
    t.equal(JSON.parse(readFileSync(join(dir, 'pending', 'long.json'), 'utf8')).attempts, 1, `run ${run}: counted from this run (was ${job.attempts})`);
  }
  // Then the input kills the daemon at the same place each time, with nothing saved: failed after 3.
  for (let run = 0; run < 2; run++) await (await open(dir)).markStarted('long');
  const q = await open(dir);
  t.equal((await q.get('long'))?.state, 'failed');
  t.match((await q.failedRecords())[0]?.error, /stopped while running this job 3 times without it getting further/);
  t.same(readdirSync(join(dir, 'progress')), [], 'its progress went with it');
});

t.test('jobs list shows how far a running or interrupted job has got, read from its progress alone', async (t) => {
  const dir = tempDir();
  const summarizeProgress = (records: unknown[]) => ({ segments: records.length - 1, throughSec: (records.at(-1) as { endSec?: number }).endSec ?? 0 });
  const openWith = async () => {
    const q = new JobQueue({ dir, logger: silentLogger, defaultDeadlineHours: 24, maxAttempts: 3, summarizeProgress });
    await q.start();
    return q;
  };
  let q = await openWith();
  await q.submit({ id: 'long', input: '/srv/meeting.wav', priority: 'batch' });
  await q.submit({ id: 'short', input: '/srv/hello.wav', priority: 'batch' });
  await q.markStarted('long');
  await q.saveProgress('long', [{ head: 1 }, { endSec: 2.4 }, { endSec: 1271.5 }], 'replace');
  const listed = async () => Object.fromEntries((await listJobs(q, 'all')).jobs.map((j) => [j.id, j.progress]));
  t.same(await listed(), { long: { segments: 2, throughSec: 1271.5 }, short: undefined }, 'running');
  q = await openWith();
  t.same(await listed(), { long: { segments: 2, throughSec: 1271.5 }, short: undefined }, 'interrupted, after a restart');
  await q.markStarted('long');
  await q.complete('long', {});
  t.same(await listed(), { long: undefined, short: undefined }, 'done: no progress any more');
});

t.test('a pending job with a field of a newer release is left on disk as it is, not run, nor written over', async (t) => {
  const dir = tempDir();
  const lines: string[] = [];
  const logger = new LogSink({ level: 'debug', format: 'text', write: (l) => lines.push(l), syslogPrefix: false }).logger('jobs');
  mkdirSync(join(dir, 'pending'), { recursive: true });
  // As a later release might write it: a field that changes how the job runs or its ids.
  const newer = JSON.stringify({ id: 'later', input: '/a.wav', priority: 'batch', deadline: '2026-11-26T08:00:00.000Z', submittedAt: '2026-11-25T08:00:00.000Z', attempts: 0, idEpoch: 2 });
  writeFileSync(join(dir, 'pending', 'later.json'), newer);
  const q = new JobQueue({ dir, logger, defaultDeadlineHours: 24, maxAttempts: 3 });
  await q.start();
  t.same(q.pending().map((j) => j.id), [], 'not queued');
  t.match(lines.join('\n'), /job written by a newer release left in the queue, not run: it has idEpoch, which this earshotd does not know; start that release again to run it.*later\.json/);
  await t.rejects(q.submit({ id: 'later', input: '/a.wav', priority: 'batch' }), /job later was written by a newer release and is left as it is/);
  t.equal(readFileSync(join(dir, 'pending', 'later.json'), 'utf8'), newer, 'the record is as the newer release wrote it');
});

t.test('listing with a limit reads the most recently finished records only, before and after a restart', async (t) => {
  const dir = tempDir();
  let now = Date.parse('2026-11-25T08:00:00Z');
  const q = await open(dir, () => now);
  // Ids in the opposite order to their finishing, so an order by id would pick the wrong ones.
  for (const id of ['e', 'd', 'c', 'b', 'a']) {
    await q.submit({ id, input: `/${id}.wav`, priority: 'batch' });
    await q.markStarted(id);
    now += 60_000;
    await q.complete(id, { text: id });
  }
  for (const id of ['z', 'y']) {
    await q.submit({ id, input: `/${id}.wav`, priority: 'batch' });
    await q.markStarted(id);
    now += 60_000;
    await q.fail(id, `${id} is broken`);
  }
  t.same((await q.doneRecords(2)).map((d) => d.job.id), ['b', 'a'], 'the two finished last, oldest first');
  t.same((await q.failedRecords(1)).map((d) => d.job.id), ['y']);
  const listed = await listJobs(q, 'all', undefined, 2);
  t.same(listed.jobs.map((j) => `${j.state} ${j.id}`), ['done b', 'done a', 'failed z', 'failed y']);
  t.match(listed.counts, { done: 5, failed: 2 }, 'the counts still count every record');
  t.same((await listJobs(q, 'done')).jobs.map((j) => j.id), ['e', 'd', 'c', 'b', 'a'], 'no limit: all of them');

  // After a restart the finish times come from the records' files.
  for (const [i, id] of ['e', 'd', 'c', 'b', 'a'].entries()) utimesSync(join(dir, 'done', `${id}.json`), 1_000_000 + i, 1_000_000 + i);
  const reopened = await open(dir, () => now);
  t.same((await reopened.doneRecords(3)).map((d) => d.job.id), ['c', 'b', 'a']);
});
