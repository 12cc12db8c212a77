import t from 'tap';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, startDaemon, waitFor } from '../helpers/daemon-process.js';
import { fixturesDir, tempDir } from '../helpers/paths.js';
import { spoolPipelineConfig } from '../helpers/pipeline-config.js';

/**
 * A rollback: the queue holds items a later release wrote in a format this one does not
 * know: a saved speech segment's sidecar, a done record and a failed record (the upgrade
 * fixture's, with format 2). Each is left on disk as it is, named in an error, and neither
 * run, listed, retried nor deleted; the daemon keeps serving: a new recording is transcribed.
 */
const OLD_ROOT = '/tmp/earshot-upgrade-fixture';
const fixtureData = join(fixturesDir, 'upgrade', '5b3cc63', 'data');

function onlyId(dir: string): string {
  return readdirSync(dir).find((f) => f.endsWith('.json'))!.slice(0, -5);
}

/** The fixture's file with `format: 2` first, and its paths moved under `root`. */
function asNewer(from: string, to: string, root: string): string {
  const text = JSON.stringify({ format: 2, ...(JSON.parse(readFileSync(from, 'utf8')) as object) }).replaceAll(OLD_ROOT, root);
  writeFileSync(to, text);
  return text;
}

t.test('a segment sidecar, a done and a failed record in a later format are left as they are, and the daemon serves on', async (t) => {
  const root = tempDir('earshot-newer-items-');
  const dataDir = join(root, 'data');
  for (const d of ['queue/pending', 'queue/done', 'queue/failed', 'segments']) mkdirSync(join(dataDir, d), { recursive: true });
  mkdirSync(join(root, 'spool'));

  const segmentId = readdirSync(join(fixtureData, 'segments')).find((f) => f.endsWith('.wav'))!.slice(0, -4);
  const pending = join(dataDir, 'queue', 'pending', `${segmentId}.json`);
  writeFileSync(pending, readFileSync(join(fixtureData, 'queue', 'pending', `${segmentId}.json`), 'utf8').replaceAll(OLD_ROOT, root));
  const wav = join(dataDir, 'segments', `${segmentId}.wav`);
  copyFileSync(join(fixtureData, 'segments', `${segmentId}.wav`), wav);
  const sidecar = `${wav}.json`;
  const doneId = onlyId(join(fixtureData, 'queue', 'done'));
  const failedId = onlyId(join(fixtureData, 'queue', 'failed'));
  const done = join(dataDir, 'queue', 'done', `${doneId}.json`);
  const failed = join(dataDir, 'queue', 'failed', `${failedId}.json`);
  const texts = new Map([
    [sidecar, asNewer(join(fixtureData, 'segments', `${segmentId}.wav.json`), sidecar, root)],
    [done, asNewer(join(fixtureData, 'queue', 'done', `${doneId}.json`), done, root)],
    [failed, asNewer(join(fixtureData, 'queue', 'failed', `${failedId}.json`), failed, root)],
    [pending, readFileSync(pending, 'utf8')],
  ]);
  const wavBytes = readFileSync(wav);

  const daemon = await startDaemon(spoolPipelineConfig({ siteId: 'rollback', spool: join(root, 'spool'), dataDir }));
  t.teardown(() => {
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  });
  const cli = (...args: string[]) => runCli([...args, '--socket', daemon.socket]);

  await waitFor(() => daemon.output().includes(`${sidecar} is in format 2, written by a newer earshotd`), 60_000, 'the sidecar to be named');
  t.match(daemon.output(), 'this one reads format 1 at most: the job is left in the queue as it is, not run; start that release again to run it', 'the segment job is left');

  const list = await cli('jobs', 'list', '--json');
  t.equal(list.code, 0, list.stderr);
  const ids = (JSON.parse(list.stdout) as { jobs: Array<{ id: string }> }).jobs.map((j) => j.id);
  t.notOk(ids.includes(doneId) || ids.includes(failedId) || ids.includes(segmentId), `none of the three listed as this release's (${ids.join(', ')})`);
  for (const [kind, file, id] of [['done', done, doneId], ['failed', failed, failedId]] as const) {
    t.match(daemon.output(), `job ${id}: ${file} is in format 2, written by a newer earshotd; this one reads format 1 at most; its ${kind} record is left as it is, and the job is not run again here; left out of listings`);
  }
  const retry = await cli('jobs', 'retry', failedId);
  t.not(retry.code, 0, 'the failed job is not tried again');
  t.match(retry.stderr, `${failed} is in format 2`);

  // Serving on: a new recording is transcribed.
  copyFileSync(join(fixturesDir, 'upgrade', '5b3cc63', 'spool', 'second.wav'), join(root, 'spool', 'second.wav'));
  await waitFor(() => /job done id=s-/.test(daemon.output()), 60_000, 'a new recording to be transcribed');

  daemon.child.kill('SIGTERM');
  t.equal(await daemon.exited, 0);
  for (const [file, text] of texts) t.equal(readFileSync(file, 'utf8'), text, `${file} is as it was`);
  t.ok(readFileSync(wav).equals(wavBytes), 'the segment audio is as it was');
});
