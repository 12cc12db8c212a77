import t from 'tap';
import { runCli, waitFor } from '../helpers/daemon-process.js';
import { tempDir } from '../helpers/paths.js';
import { startSpoolDaemon } from '../helpers/spool-daemon.js';

/**
 * A spool recording becomes one job per stretch of speech, each reading a copy of its part
 * under dataDir/segments (removed once done). `earshot jobs list`, `jobs get` and `jobs
 * export` named only that copy: whoever transcribes a folder of recordings in bulk could not
 * tell which recording a job or an exported row was of.
 */
t.test('jobs list, get and export name the spool recording each job is of', async (t) => {
  const spoolDaemon = await startSpoolDaemon(t, tempDir('earshot-spool-names-'), 'names');
  const { daemon, transcripts } = spoolDaemon;
  spoolDaemon.drop('board-meeting.wav');
  await waitFor(() => transcripts.length >= 2, 30_000, 'both stretches of speech transcribed');
  const ids = transcripts.map((tr) => tr.jobId);

  const socket = ['--socket', daemon.socket];
  const list = await runCli(['jobs', 'list', ...socket, '--json']);
  t.equal(list.code, 0, list.stderr);
  const listed = (JSON.parse(list.stdout) as { jobs: Array<{ id: string; recording?: string }> }).jobs.filter((j) => ids.includes(j.id));
  t.same(listed.map((j) => j.recording), ['board-meeting.wav', 'board-meeting.wav'], 'each segment job names its recording');
  const text = await runCli(['jobs', 'list', ...socket]);
  t.match(text.stdout, /board-meeting\.wav/, 'so does the table');

  const get = await runCli(['jobs', 'get', ids[0]!, ...socket]);
  t.match(get.stdout, /recording +board-meeting\.wav/);

  const exportArgs = ['jobs', 'export', '--data-dir', `${daemon.dir}/data`];
  const csv = await runCli([...exportArgs, '--format', 'csv']);
  t.equal(csv.code, 0, csv.stderr);
  const rows = csv.stdout.trim().split('\r\n');
  t.equal(rows[0], 'job_id,input,finished_at,start_sec,end_sec,text,joules,energy_source,gco2e,recording', 'recording is a new last column');
  t.same(rows.slice(1).map((r) => r.split(',').at(-1)), ['board-meeting.wav', 'board-meeting.wav']);
  const json = JSON.parse((await runCli([...exportArgs, '--format', 'json'])).stdout) as Array<{ recording?: string }>;
  t.same(json.map((j) => j.recording), ['board-meeting.wav', 'board-meeting.wav']);
  await spoolDaemon.stop();
});
