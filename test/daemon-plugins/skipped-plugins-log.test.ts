import t from 'tap';
import { copyFileSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemonOnFreePort, waitFor } from '../helpers/daemon-process.js';
import { fixturesDir } from '../helpers/paths.js';
import { sandbox } from './sandbox.js';

/**
 * A plugin set aside after failures is skipped on every transcript until it is enabled again:
 * a real daemon says so at WARN once, not once per transcript (each transcript still names
 * it in pluginsSkipped, and a DEBUG line follows it).
 */
t.test('a failed plugin is warned about once, not on every transcript', async (t) => {
  const sb = sandbox(['throwing']);
  const spool = join(sb.root, 'spool');
  mkdirSync(spool);
  const { daemon } = await startDaemonOnFreePort((port) => ({
    siteId: 'skipped',
    mqtt: { url: null, embedded: { host: '127.0.0.1', port } },
    sources: [{ id: 'desk', type: 'spool', dir: spool, settleMs: 200, pollMs: 100 }],
    vad: { detector: 'energy' },
    model: { dir: join(fixturesDir, 'asr', 'models', 'nemo-ctc'), providers: ['cpu'] },
    scheduler: { tickMs: 100 },
    plugins: { dirs: [sb.pluginsDir], timeoutMs: 2000, maxFailures: 1 },
  }));
  t.teardown(() => {
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  });
  const lines = (level: string) => daemon.output().split('\n').filter((l) => l.startsWith(level) && l.includes('plugins skipped for a transcript'));
  // Three recordings of two stretches of speech each: six transcripts, one after another.
  for (let i = 1; i <= 3; i++) {
    copyFileSync(join(fixturesDir, 'audio', 'speech-silence-speech.wav'), join(spool, `call-${i}.wav.part`));
    renameSync(join(spool, `call-${i}.wav.part`), join(spool, `call-${i}.wav`));
    await waitFor(() => lines('WARN').length + lines('DEBUG').length >= 2 * i, 25_000, `the transcripts of recording ${i}`);
  }
  t.equal(lines('WARN').length, 1, `one warning:\n${lines('WARN').join('\n')}`);
  t.match(lines('WARN')[0], /earshot-plugin-throwing/);
  t.equal(lines('DEBUG').length, 5, 'the other transcripts at debug');
  daemon.child.kill('SIGTERM');
  t.equal(await daemon.exited, 0, daemon.output().slice(-2000));
});
