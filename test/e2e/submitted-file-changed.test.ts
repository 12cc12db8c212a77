import t from 'tap';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, startDaemonOnFreePort } from '../helpers/daemon-process.js';
import { fixturesDir, tempDir } from '../helpers/paths.js';
import { writeLongRecording } from '../helpers/long-recording.js';

interface Listed {
  jobs: Array<{ id: string; state: string; progress?: { segments: number }; error?: string }>;
}

/**
 * A recording overwritten in place while its job ran (a copy of another take over it) ended
 * "done", its transcript the first part of the old recording and nothing of the rest, under
 * the id of the file as submitted.
 */
t.test('a submitted file overwritten while its job runs fails the job, saying so, instead of ending done', async (t) => {
  const dir = tempDir('earshot-file-changed-');
  const recording = join(dir, 'board-meeting.wav');
  await writeLongRecording(recording, 400);
  const { daemon } = await startDaemonOnFreePort((port) => ({
    mqtt: { url: null, embedded: { host: '127.0.0.1', port } },
    vad: { detector: 'energy' },
    model: { dir: join(fixturesDir, 'asr', 'models', 'nemo-ctc'), providers: ['cpu'] },
    scheduler: { tickMs: 100 },
  }));
  t.teardown(() => {
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  });
  const socket = ['--socket', daemon.socket];
  const submitted = await runCli(['jobs', 'submit', recording, ...socket, '--priority', 'interactive', '--json']);
  t.equal(submitted.code, 0, submitted.stderr);
  const id = (JSON.parse(submitted.stdout) as { submitted: Array<{ id: string }> }).submitted[0]!.id;
  const job = async () => (JSON.parse((await runCli(['jobs', 'list', ...socket, '--json'])).stdout) as Listed).jobs.find((j) => j.id === id);
  /** Polls the CLI (one at a time) until `done` says so; the job's last listing. */
  const until = async (done: (j: Listed['jobs'][number] | undefined) => boolean) => {
    const end = Date.now() + 90_000;
    for (;;) {
      const j = await job();
      if (done(j) || Date.now() > end) return j;
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const running = await until((j) => j?.state !== 'pending');
  t.equal(running?.state, 'running', 'overwritten while it runs');
  // Another take copied over it in place (same inode, shorter).
  copyFileSync(join(fixturesDir, 'audio', 'speech-silence-speech.wav'), recording);
  const seen = await until((j) => j?.state === 'failed' || j?.state === 'done');
  t.equal(seen?.state, 'failed');
  t.match(seen?.error, /board-meeting\.wav: the file has changed while it was read .*Submit it again/);
  daemon.child.kill('SIGTERM');
  t.equal(await daemon.exited, 0);
});
