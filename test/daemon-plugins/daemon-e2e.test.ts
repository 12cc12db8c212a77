import t from 'tap';
import { runCli, waitFor } from '../helpers/daemon-process.js';
import { startSpoolDaemon } from '../helpers/spool-daemon.js';
import type { PluginStatus } from '../../daemon/plugins/types.js';
import { sandbox } from './sandbox.js';

/**
 * Third-party plugins in a temp folder, in a real earshotd: a normalizer written only against
 * @earshot/sdk is applied to real transcripts, while a throwing, a rejecting and a hanging
 * plugin, one stuck in a synchronous loop and one that calls process.exit are set aside and
 * reported failed by the real `earshot plugins list --json`.
 */
t.test('a real daemon applies a third-party normalizer and isolates failing plugins', async (t) => {
  const sb = sandbox(['suffix', 'throwing', 'rejecting', 'hanging', 'spinning', 'exiting']);
  const { daemon, transcripts, drop, stop } = await startSpoolDaemon(t, sb.root, 'plugins-e2e', {
    plugins: { dirs: [sb.pluginsDir], config: { suffix: { mark: '[checked]' } }, timeoutMs: 1000, maxFailures: 1 },
  });
  drop('call.wav');
  await waitFor(() => transcripts.length >= 2, 25_000, 'two transcripts');

  for (const tr of transcripts) {
    t.ok(tr.text.endsWith(' [checked]'), `normalizer applied: ${JSON.stringify(tr.text)}`);
    t.equal(tr.text, `${tr.rawText} [checked]`);
    t.ok(tr.plugins.includes('earshot-plugin-suffix'));
    for (const failing of ['throwing', 'rejecting', 'hanging', 'spinning', 'exiting']) t.notOk(tr.plugins.includes(`earshot-plugin-${failing}`));
  }

  const list = await runCli(['plugins', 'list', '--json', '--socket', daemon.socket]);
  t.equal(list.code, 0, list.stderr);
  const states = Object.fromEntries((JSON.parse(list.stdout) as PluginStatus[]).filter((p) => p.source === 'dir').map((p) => [p.alias, [p.state, p.error]]));
  t.match(states, {
    // Each in its own thread: an endless loop and process.exit stop the plugin, not earshotd.
    spinning: ['failed', 'normalizer call timed out after 1000 ms'],
    exiting: ['failed', /its thread exited with code 3/],
    hanging: ['failed', 'normalizer call timed out after 1000 ms'],
    rejecting: ['failed', 'filter call rejected: redaction service unavailable'],
    suffix: ['running', undefined],
    throwing: ['failed', 'normalizer call threw: cannot read the grammar'],
  });
  t.equal(Object.keys(states).length, 6);
  t.match(daemon.output(), /plugin earshot-plugin-hanging disabled after 1 failure in a row/);
  const status = await runCli(['status', '--json', '--socket', daemon.socket]);
  t.equal(status.code, 0, 'the daemon answers after a plugin spun and one called process.exit');

  await stop();
});
