import t from 'tap';
import { waitFor } from '../helpers/daemon-process.js';
import { startSpoolDaemon } from '../helpers/spool-daemon.js';
import { sandbox } from './sandbox.js';

/**
 * A plugin set aside after failures is skipped on every transcript until it is enabled again:
 * a real daemon says so at WARN once, not once per transcript (each transcript still names
 * it in pluginsSkipped, and a DEBUG line follows it).
 */
t.test('a failed plugin is warned about once, not on every transcript', async (t) => {
  const sb = sandbox(['throwing']);
  const { daemon, drop, stop } = await startSpoolDaemon(t, sb.root, 'skipped', { plugins: { dirs: [sb.pluginsDir], timeoutMs: 2000, maxFailures: 1 } });
  const lines = (level: string) => daemon.output().split('\n').filter((l) => l.startsWith(level) && l.includes('plugins skipped for a transcript'));
  // Three recordings of two stretches of speech each: six transcripts, one after another.
  for (let i = 1; i <= 3; i++) {
    drop(`call-${i}.wav`);
    await waitFor(() => lines('WARN').length + lines('DEBUG').length >= 2 * i, 25_000, `the transcripts of recording ${i}`);
  }
  t.equal(lines('WARN').length, 1, `one warning:\n${lines('WARN').join('\n')}`);
  t.match(lines('WARN')[0], /earshot-plugin-throwing/);
  t.equal(lines('DEBUG').length, 5, 'the other transcripts at debug');
  await stop();
});
