import t from 'tap';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, waitFor } from '../helpers/daemon-process.js';
import { budgetedDaemon } from './helpers/budgeted-daemon.js';
import { fixturesDir, tempDir } from '../helpers/paths.js';
import type { JobDetail, JobSummary, SubmitResult } from '../../daemon/scheduler/control-handlers.js';

t.test('a batch job held by the power budget past its deadline is said overdue: a WARN once, jobs list and jobs get', async (t) => {
  // Idle 40 W + 7 W a thread: a 3 W budget pauses batch work.
  const daemon = await budgetedDaemon(t, 3);
  const audio = join(tempDir('earshot-overdue-'), 'f.wav');
  copyFileSync(join(fixturesDir, 'audio', 'speech-silence-speech.wav'), audio);
  const submit = await runCli(['jobs', 'submit', audio, '--deadline', '2s', '--json', '--socket', daemon.socket]);
  t.equal(submit.code, 0, submit.stderr);
  const id = (JSON.parse(submit.stdout) as SubmitResult).submitted[0]!.id;

  const held = 'power budget 3 W is below idle + one thread (47.0 W): batch work paused; live and interactive work run on one thread';
  let job: JobDetail | undefined;
  for (const until = Date.now() + 30_000; Date.now() < until; await new Promise((r) => setTimeout(r, 200))) {
    const got = await runCli(['jobs', 'get', id, '--json', '--socket', daemon.socket]);
    t.equal(got.code, 0, got.stderr);
    job = JSON.parse(got.stdout) as JobDetail;
    if (job.overdue) break;
  }
  t.match(job, { state: 'pending', overdue: { lateBySec: Number, heldBy: held } }, 'jobs get --json says how late and why');
  const warned = new RegExp(`WARN +earshot:scheduler job ${id} is \\d+ s past its deadline and still waits to run; held by: ${held.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'g');
  const warnings = (): number => [...daemon.output().matchAll(warned)].length;
  await waitFor(() => warnings() > 0, 30_000, 'the overdue WARN');

  const listText = await runCli(['jobs', 'list', '--socket', daemon.socket]);
  t.equal(listText.code, 0, listText.stderr);
  t.match(listText.stdout, new RegExp(`^${id} +pending +batch +OVERDUE `, 'm'), 'the job line is marked');
  t.ok(listText.stdout.includes(`past its deadline, held by: ${held}\n`), `with the reason under it:\n${listText.stdout}`);
  const listJson = await runCli(['jobs', 'list', '--state', 'pending', '--json', '--socket', daemon.socket]);
  t.match((JSON.parse(listJson.stdout) as { jobs: JobSummary[] }).jobs, [{ id, overdue: { heldBy: held } }]);
  const getText = await runCli(['jobs', 'get', id, '--socket', daemon.socket]);
  t.match(getText.stdout, /^ {2}overdue +\d+ s past its deadline, held by: power budget 3 W/m);

  // The CLI calls above took seconds, tens of passes at 100 ms: the warning is still said once.
  t.equal(warnings(), 1, 'one WARN for the job');
});
