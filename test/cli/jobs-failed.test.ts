import t from 'tap';
import { copyFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, startDaemon, type CliResult } from '../helpers/daemon-process.js';
import { fixturesDir, tempDir } from '../helpers/paths.js';
import type { SubmitResult, JobDetail, JobSummary, RetryResult } from '../../daemon/scheduler/control-handlers.js';

/** Runs `earshot jobs get ID --json` until the job is finished. */
async function finishedJob(id: string, socket: string): Promise<JobDetail> {
  const until = Date.now() + 60_000;
  for (;;) {
    const r: CliResult = await runCli(['jobs', 'get', id, '--json', '--socket', socket]);
    if (r.code !== 0) throw new Error(`jobs get failed (${r.code}): ${r.stdout}${r.stderr}`);
    const job = JSON.parse(r.stdout) as JobDetail;
    if (job.state === 'done' || job.state === 'failed') return job;
    if (Date.now() > until) throw new Error(`job ${id} still ${job.state} after 60 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

t.test('a failed job carries its error in jobs list and jobs get, text and JSON', async (t) => {
  const daemon = await startDaemon({ model: { dir: join(fixturesDir, 'asr', 'models', 'nemo-ctc'), providers: ['cpu'] }, scheduler: { tickMs: 100 } });
  t.teardown(() => {
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  });
  const bad = join(tempDir('earshot-failed-job-'), 'not-audio.wav');
  writeFileSync(bad, 'this is a text file, not a recording\n'.repeat(20));
  const submit = await runCli(['jobs', 'submit', bad, '--json', '--socket', daemon.socket]);
  t.equal(submit.code, 0, submit.stderr);
  const id = (JSON.parse(submit.stdout) as SubmitResult).submitted[0]!.id;

  const job = await finishedJob(id, daemon.socket);
  t.match(job, { id, state: 'failed', input: bad, finishedAt: String, error: String });
  t.match(job.error, bad, 'the error names the file');

  const listJson = await runCli(['jobs', 'list', '--state', 'failed', '--json', '--socket', daemon.socket]);
  t.equal(listJson.code, 0, listJson.stderr);
  const listed = (JSON.parse(listJson.stdout) as { jobs: JobSummary[] }).jobs;
  t.same(listed.map((j) => [j.id, j.error]), [[id, job.error]], 'jobs list --json has the error');

  const listText = await runCli(['jobs', 'list', '--socket', daemon.socket]);
  t.equal(listText.code, 0, listText.stderr);
  t.ok(listText.stdout.includes(`    error: ${job.error}\n`), `jobs list prints the error under the job:\n${listText.stdout}`);

  const getText = await runCli(['jobs', 'get', id, '--socket', daemon.socket]);
  t.equal(getText.code, 0, getText.stderr);
  t.match(getText.stdout, new RegExp(`^${id}\\n  state +failed\\n`));
  t.ok(getText.stdout.includes(`  error      ${job.error}\n`), getText.stdout);

  const waited = await runCli(['jobs', 'wait', id, '--socket', daemon.socket]);
  t.equal(waited.code, 5, 'jobs wait exits 5 when a job it waited for failed');
  t.match(waited.stdout, /0 done, 1 failed/);
  t.match(waited.stderr, `failed: ${id}`);
  const waitedJson = await runCli(['jobs', 'wait', id, '--json', '--socket', daemon.socket]);
  t.equal(waitedJson.code, 5);
  t.same(JSON.parse(waitedJson.stdout), { states: { [id]: 'failed' } }, 'with --json the states are still printed');
  const waitedUnknown = await runCli(['jobs', 'wait', 'f-000000000000000000000000', '--socket', daemon.socket]);
  t.equal(waitedUnknown.code, 5, 'and when an id is unknown');
  t.match(waitedUnknown.stdout, /1 unknown ids: f-000000000000000000000000/);

  const unknown = await runCli(['jobs', 'get', 'f-000000000000000000000000', '--socket', daemon.socket]);
  t.equal(unknown.code, 1);
  t.match(unknown.stderr, /no job f-000000000000000000000000 in the queue/);
});

t.test('jobs retry puts a failed job back once its cause is mended; a job not failed, or whose audio is gone, is refused', async (t) => {
  const daemon = await startDaemon({ model: { dir: join(fixturesDir, 'asr', 'models', 'nemo-ctc'), providers: ['cpu'] }, vad: { detector: 'energy' }, scheduler: { tickMs: 100 } });
  t.teardown(() => {
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  });
  const dir = tempDir('earshot-retry-job-');
  const recording = join(dir, 'meeting.wav');
  writeFileSync(recording, 'not a recording yet\n'.repeat(20));
  const gone = join(dir, 'gone.wav');
  writeFileSync(gone, 'nor this\n'.repeat(20));
  const submit = await runCli(['jobs', 'submit', recording, gone, '--json', '--socket', daemon.socket]);
  t.equal(submit.code, 0, submit.stderr);
  const [id, goneId] = (JSON.parse(submit.stdout) as SubmitResult).submitted.map((s) => s.id) as [string, string];
  t.equal((await finishedJob(id, daemon.socket)).state, 'failed');
  t.equal((await finishedJob(goneId, daemon.socket)).state, 'failed');
  const limited = await runCli(['jobs', 'list', '--state', 'failed', '--limit', '1', '--socket', daemon.socket]);
  t.equal(limited.stdout.split('\n').filter((l) => / failed +batch /.test(l)).length, 1, `one failed job listed:\n${limited.stdout}`);
  t.match(limited.stdout, /\(the 1 most recently finished of the 2 failed shown; --limit 0 lists all\)/);
  t.notMatch((await runCli(['jobs', 'list', '--state', 'failed', '--socket', daemon.socket])).stdout, /most recently finished/, 'within the default limit nothing is left out');
  const again = await runCli(['jobs', 'submit', recording, '--json', '--socket', daemon.socket]);
  t.match(JSON.parse(again.stdout), { submitted: [{ id, state: 'failed', created: false }] }, 'submitting it again only finds it failed');

  // The operator mends the cause (here: the recording is put in place), and retries.
  copyFileSync(join(fixturesDir, 'audio', 'speech-silence-speech.wav'), recording);
  rmSync(gone);
  const retry = await runCli(['jobs', 'retry', id, goneId, 'f-000000000000000000000000', '--json', '--socket', daemon.socket]);
  t.equal(retry.code, 1, 'exit 1: some ids were refused');
  const result = JSON.parse(retry.stdout) as RetryResult;
  t.same(result.retried.map((r) => r.id), [id]);
  t.match(result.errors, [
    { id: goneId, error: /its audio .*gone\.wav cannot be read \(ENOENT\)/ },
    { id: 'f-000000000000000000000000', error: /no job f-000000000000000000000000 in the queue/ },
  ]);
  const job = await finishedJob(id, daemon.socket);
  t.match(job, { state: 'done', attempts: 1 }, 'it ran again, its tries counted from 0');
  const notFailed = await runCli(['jobs', 'retry', id, '--socket', daemon.socket]);
  t.equal(notFailed.code, 1);
  t.match(notFailed.stderr, new RegExp(`${id}  refused: job ${id} is done, not failed`));
});
