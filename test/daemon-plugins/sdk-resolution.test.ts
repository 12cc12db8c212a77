import t from 'tap';
import { PluginHost } from '../../daemon/plugins/host.js';
import type { PluginStatus } from '../../daemon/plugins/types.js';
import { runCli, startDaemonOnFreePort } from '../helpers/daemon-process.js';
import { sandbox, testConfig } from './sandbox.js';

/**
 * A plugin folder in `plugins.dirs` installed as sdk/README.md shows: @earshot/sdk is only a
 * peer dependency and no node_modules lies anywhere above the folder (a temp dir). The
 * plugin imports the SDK all the same (the daemon's copy), in its own thread and inline.
 */

t.test('in its own thread, a plugin folder without the SDK installed loads and runs', async (t) => {
  const sb = sandbox(['upper'], { linkSdk: false });
  const host = new PluginHost({ logger: sb.logger, dataDir: sb.dataDir, builtinDir: sb.builtinDir, config: testConfig(sb, { isolation: 'thread', timeouts: { upper: 2000 } }) });
  await host.start();
  t.teardown(() => host.stop());
  const [status] = host.list();
  t.equal(status?.state, 'running', `the plugin runs: ${status?.error ?? ''}`);
  t.equal(status?.isolation, 'thread');
  const out = await host.process({ text: 'card ending four two', words: [] });
  t.same({ text: out.text, applied: out.applied, skipped: out.skipped }, { text: 'CARD ENDING FOUR TWO', applied: ['earshot-plugin-upper'], skipped: [] });
});

// Inline, the plugin is imported in the daemon's own thread: a real daemon (this test
// process's TypeScript loader would stand between the import and the hook).
t.test("in the daemon's thread, a plugin folder without the SDK installed loads", async (t) => {
  const sb = sandbox(['upper'], { linkSdk: false });
  const { daemon } = await startDaemonOnFreePort((port) => ({
    siteId: 'sdk-e2e',
    mqtt: { url: null, embedded: { host: '127.0.0.1', port } },
    sources: [],
    plugins: { dirs: [sb.pluginsDir], isolation: 'inline' },
  }));
  t.teardown(() => {
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  });
  const list = await runCli(['plugins', 'list', '--json', '--socket', daemon.socket]);
  const upper = (JSON.parse(list.stdout) as PluginStatus[]).find((p) => p.name === 'earshot-plugin-upper');
  t.equal(upper?.state, 'running', `the plugin runs: ${upper?.error ?? list.stdout + list.stderr}`);
  t.equal(upper?.isolation, 'inline');
  daemon.child.kill('SIGTERM');
  t.equal(await daemon.exited, 0, daemon.output().slice(-2000));
});
