import t from 'tap';
import { spawnSync } from 'node:child_process';
import { cpSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { earshotdBin, launchDaemon, runCli, startDaemon, waitFor } from '../helpers/daemon-process.js';
import { fixturesDir, tempDir } from '../helpers/paths.js';

/**
 * The model is loaded only when work comes. A `model.dir` that names no model is caught at
 * the start (exit 78, as any config problem); a model that goes missing later costs no job:
 * the jobs wait for it, and run once it is back.
 */
const EX_CONFIG = 78;
const embedded = { url: null, embedded: { host: '127.0.0.1', port: 0 }, telemetryIntervalSec: 0 };

t.test('a model.dir that names no model: exit 78 naming model.dir, and --check says so too', async (t) => {
  const missing = join(tempDir('earshot-e2e-model-'), 'no-such-model');
  const daemon = launchDaemon({ model: { dir: missing }, mqtt: embedded });
  t.equal(await daemon.exited, EX_CONFIG);
  t.match(daemon.output(), /earshotd: model\.dir: .*no-such-model: model directory not found; install a model \(earshot model install\) and name its folder; refusing to start/);
  const check = spawnSync(process.execPath, [earshotdBin, '--check', '--config', daemon.configFile], { encoding: 'utf8' });
  t.equal(check.status, EX_CONFIG, check.stdout + check.stderr);
  t.match(check.stderr, /model\.dir: .*no-such-model: model directory not found/);
});

t.test('a model that goes missing after the start: the job waits for it instead of failing, and runs once it is back', async (t) => {
  const dir = tempDir('earshot-e2e-model-');
  const model = join(dir, 'model');
  cpSync(join(fixturesDir, 'asr', 'models', 'nemo-ctc'), model, { recursive: true });
  const daemon = await startDaemon({ model: { dir: model, providers: ['cpu'] }, vad: { detector: 'energy' }, mqtt: embedded, scheduler: { tickMs: 100 } });
  t.teardown(() => {
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  });
  // Gone before any job loaded it (an operator moving folders, a volume not mounted).
  renameSync(model, `${model}.away`);
  const recording = join(fixturesDir, 'audio', 'speech-silence-speech.wav');
  const submitted = await runCli(['jobs', 'submit', recording, '--priority', 'interactive', '--json', '--socket', daemon.socket]);
  t.equal(submitted.code, 0, submitted.stderr);
  await waitFor(() => /job postponed: the model could not be loaded/.test(daemon.output()), 20_000, 'the job postponed');
  const list = await runCli(['jobs', 'list', '--json', '--socket', daemon.socket]);
  const jobs = (JSON.parse(list.stdout) as { jobs: Array<{ state: string }> }).jobs;
  t.same(jobs.map((j) => j.state), ['pending'], 'still pending, not failed');
  t.notMatch(daemon.output(), /job failed/);
  const status = await runCli(['status', '--socket', daemon.socket]);
  t.match(status.stdout, /scheduler .*model cannot be loaded \(.*model directory not found.*\); jobs wait for it/, `earshot status says why nothing runs:\n${status.stdout}`);
  const check = await runCli(['status', '--check', '--socket', daemon.socket]);
  t.equal(check.code, 6, 'status --check fails');
  t.match(check.stdout, /problems:\n  scheduler: the model cannot be loaded/);

  renameSync(`${model}.away`, model);
  await waitFor(() => /job done/.test(daemon.output()), 60_000, 'the job to run once the model is back');
  const after = await runCli(['jobs', 'list', '--json', '--socket', daemon.socket]);
  t.same((JSON.parse(after.stdout) as { jobs: Array<{ state: string }> }).jobs.map((j) => j.state), ['done']);
  t.notMatch((await runCli(['status', '--socket', daemon.socket])).stdout, /cannot be loaded/, 'and no longer, once it loaded');
  t.equal((await runCli(['status', '--check', '--socket', daemon.socket])).code, 0, 'status --check passes again');
  daemon.child.kill('SIGTERM');
  t.equal(await daemon.exited, 0);
});
