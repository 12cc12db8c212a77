import t from 'tap';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runCli, startDaemon, waitFor } from '../helpers/daemon-process.js';
import { fixturesDir, tempDir } from '../helpers/paths.js';

/**
 * What a power cut (or a storage card that lies about its flushes) can leave in the data
 * directory: files empty, cut short or ending in zeros. A real daemon starts on them, names
 * each file it could not read and why, keeps the rest, and says so in `earshot status` until
 * the operator's next command writes the file again. Refusing the start left the box in a
 * systemd restart loop, transcribing nothing, for files that hold only overrides.
 */
const GOOD_ID = 'f-000000000000000000000001';
const DAMAGED_ID = 'f-000000000000000000000002';
const TORN_PENDING_ID = 'f-000000000000000000000003';
const SEGMENT_ID = 's-000000000000000000000004';

function doneRecord(id: string): string {
  const job = { id, input: '/srv/calls/a.wav', priority: 'batch', deadline: '2026-11-27T10:00:00.000Z', submittedAt: '2026-11-26T10:00:00.000Z', attempts: 1 };
  return JSON.stringify({ format: 1, job, finishedAt: '2026-11-26T10:00:05.000Z', result: { output: { jobId: id, text: 'hello' } } });
}

t.test('a daemon starts on state files a power cut left empty, cut short or zero-filled, naming each', async (t) => {
  const dataDir = join(tempDir('earshot-power-cut-'), 'data');
  const files: Record<string, string | Buffer> = {
    'scheduler/budget.json': '',
    'plugins/state.json': '{\n  "format": 1,\n  "choi',
    [`queue/done/${GOOD_ID}.json`]: doneRecord(GOOD_ID),
    [`queue/done/${DAMAGED_ID}.json`]: Buffer.concat([Buffer.from(doneRecord(DAMAGED_ID).slice(0, 60)), Buffer.alloc(200)]),
    [`queue/pending/${TORN_PENDING_ID}.json`]: '{"id":"f-000000000000000000000003","input":"/srv/ca',
  };
  // Live speech saved as a segment whose sidecar (its place in time) was cut short: the speech is in the WAV.
  const segment = join(dataDir, 'segments', `${SEGMENT_ID}.wav`);
  files[`segments/${SEGMENT_ID}.wav.json`] = '{"format":1,"sourceId":"do';
  files[`queue/pending/${SEGMENT_ID}.json`] = JSON.stringify({ id: SEGMENT_ID, input: segment, priority: 'live', deadline: '2026-11-27T10:00:00.000Z', submittedAt: '2026-11-26T10:00:00.000Z', attempts: 0, sourceId: 'door' });
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dataDir, file)), { recursive: true });
    writeFileSync(join(dataDir, file), content);
  }
  copyFileSync(join(fixturesDir, 'audio', 'speech-silence-speech.wav'), segment);

  const daemon = await startDaemon({ siteId: 'power-cut', dataDir });
  t.teardown(() => void daemon.child.kill('SIGKILL'));
  const out = daemon.output();
  const budget = join(dataDir, 'scheduler', 'budget.json');
  const choices = join(dataDir, 'plugins', 'state.json');
  t.match(out, `ERROR earshot:scheduler ${budget} cannot be read (Unexpected end of JSON input): the config's power budget and thermal limits are used`, 'the budget file is named, and what holds instead');
  t.match(out, `ERROR earshot:plugins ${choices} is not valid JSON (`, 'the plugin choices file is named');
  t.match(out, `ERROR earshot:jobs job file ${join(dataDir, 'queue', 'pending', `${TORN_PENDING_ID}.json`)} cannot be read (`, 'the torn pending job is named');

  const status = JSON.parse((await runCli(['status', '--json', '--socket', daemon.socket])).stdout) as { healthy: boolean; problems: string[] };
  t.notOk(status.healthy, 'status is not healthy');
  t.match(status.problems.join('\n'), budget, 'status names the budget file');
  t.match(status.problems.join('\n'), choices, 'status names the plugin choices file');

  const list = await runCli(['jobs', 'list', '--json', '--socket', daemon.socket]);
  t.equal(list.code, 0, `jobs list works beside a damaged done record: ${list.stderr}`);
  const listed = (JSON.parse(list.stdout) as { jobs: Array<{ id: string }> }).jobs.map((j) => j.id);
  t.ok(listed.includes(GOOD_ID), 'the readable done job is listed');
  t.notOk(listed.includes(DAMAGED_ID), 'the damaged one is left out');
  t.match(daemon.output(), `job ${DAMAGED_ID}: its done record ${join(dataDir, 'queue', 'done', `${DAMAGED_ID}.json`)} cannot be read (`, 'the damaged done record is named');

  const segmentJob = async (): Promise<{ state?: string; error?: string } | undefined> =>
    (JSON.parse((await runCli(['jobs', 'list', '--json', '--socket', daemon.socket])).stdout) as { jobs: Array<{ id: string; state: string; error?: string }> }).jobs.find((j) => j.id === SEGMENT_ID);
  let seg = await segmentJob();
  for (const until = Date.now() + 60_000; seg?.state !== 'done' && seg?.state !== 'failed' && Date.now() < until; seg = await segmentJob()) await new Promise((r) => setTimeout(r, 500));
  t.equal(seg?.state, 'done', `the segment with a damaged sidecar is transcribed: ${seg?.error ?? ''}`);
  t.match(daemon.output(), `WARN  earshot:pipeline ${segment}.json cannot be read (`, 'its sidecar is named');
  await waitFor(() => !existsSync(segment), 10_000, 'the transcribed segment to be removed');

  // The operator's next commands write both files again, and the problems go.
  t.equal((await runCli(['budget', 'set', '--watts', '40', '--socket', daemon.socket])).code, 0, 'budget set works');
  t.equal((await runCli(['plugins', 'disable', 'itn-zh', '--socket', daemon.socket])).code, 0, 'plugins disable works');
  const after = JSON.parse((await runCli(['status', '--json', '--socket', daemon.socket])).stdout) as { problems: string[] };
  t.notMatch(after.problems.join('\n'), /budget\.json|state\.json/, 'neither file is a problem any more');

  daemon.child.kill('SIGTERM');
  t.equal(await daemon.exited, 0, 'stops cleanly');
});
