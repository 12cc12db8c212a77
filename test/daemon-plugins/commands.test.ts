import t from 'tap';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { ControlServer } from '../../daemon/control/server.js';
import { callDaemonUntyped } from '../../daemon/control/client.js';
import { PluginHost } from '../../daemon/plugins/host.js';
import { registerPluginMethods } from '../../daemon/plugins/control-methods.js';
import type { PluginStatus } from '../../daemon/plugins/types.js';
import PluginsList from '../../daemon/cli/commands/plugins/list.js';
import PluginsInfo from '../../daemon/cli/commands/plugins/info.js';
import PluginsEnable from '../../daemon/cli/commands/plugins/enable.js';
import PluginsDisable from '../../daemon/cli/commands/plugins/disable.js';
import HotwordsList from '../../daemon/cli/commands/hotwords/list.js';
import { repoRoot } from '../helpers/paths.js';
import { runCommand } from './capture.js';
import { sandbox, testConfig } from './sandbox.js';

/** A real control socket served by a real host with a good plugin and three failing ones. */
async function daemonWithPlugins(teardown: (fn: () => Promise<void>) => void) {
  const sb = sandbox(['shout', 'throwing', 'rejecting', 'hanging']);
  const host = new PluginHost({ logger: sb.logger, dataDir: sb.dataDir, builtinDir: sb.builtinDir, config: testConfig(sb, { maxFailures: 2, timeoutMs: 50, config: { shout: { words: ['acme'] } } }) });
  const socket = join(sb.root, 'control.sock');
  const server = new ControlServer({ config: { socket, mode: '0600', maxRequestBytes: 65536, requestTimeoutMs: 30_000, maxConnections: 64 }, logger: sb.logger });
  registerPluginMethods(server, host);
  await host.start();
  await server.start();
  teardown(async () => {
    await server.stop();
    await host.stop();
  });
  return { host, socket, sb };
}

t.test('plugins list --json shows failing plugins as failed while transcripts still arrive', async (t) => {
  const { host, socket } = await daemonWithPlugins((fn) => t.teardown(fn));
  for (const text of ['acme one', 'acme two']) t.match((await host.process({ text })).text, /^ACME /);
  const { result, stdout } = await runCommand(PluginsList, ['--socket', socket, '--json'], repoRoot);
  const listed = JSON.parse(stdout) as PluginStatus[];
  t.same(listed, result);
  const states = Object.fromEntries(listed.map((p) => [p.alias, p.state]));
  t.same(states, { hanging: 'failed', rejecting: 'failed', shout: 'running', throwing: 'failed' });
  t.match(listed.find((p) => p.alias === 'hanging'), { failures: 2, error: 'normalizer call timed out after 50 ms' });

  const human = await runCommand(PluginsList, ['--socket', socket], repoRoot);
  t.match(human.stdout, /^throwing\s+failed\s+normalizer\s+0 calls, 2 failures\s+earshot-plugin-throwing@0\.0\.1 \(dir\)$/m);
  t.match(human.stdout, /^\s+normalizer call threw: cannot read the grammar$/m);
});

t.test('plugins disable, enable and info over the socket', async (t) => {
  const { host, socket, sb } = await daemonWithPlugins((fn) => t.teardown(fn));
  const off = await runCommand(PluginsDisable, ['shout', '--socket', socket, '--json'], repoRoot);
  t.match(off.result, { name: 'earshot-plugin-shout', state: 'disabled' });
  t.equal((await host.process({ text: 'acme' })).text, 'acme', 'disabled live');
  const on = await runCommand(PluginsEnable, ['earshot-plugin-shout', '--socket', socket], repoRoot);
  t.equal(on.stdout.trim(), 'earshot-plugin-shout: running', `${on.stdout}${on.stderr}${on.error ? ` error: ${on.error.message}` : ''} ${JSON.stringify(host.list())}`);
  t.equal((await host.process({ text: 'acme' })).text, 'ACME', 'enabled live');
  t.ok(sb.lines.some((l) => /^INFO .*plugin earshot-plugin-shout disabled \(earshot plugins disable\)/.test(l)), 'the journal says who turned it off');
  t.ok(sb.lines.some((l) => /^INFO .*plugin earshot-plugin-shout enabled \(earshot plugins enable\)/.test(l)), 'and on');
  const info = await runCommand(PluginsInfo, ['shout', '--socket', socket, '--json'], repoRoot);
  t.match(info.result, { name: 'earshot-plugin-shout', engines: '^1.0.0', config: { words: ['acme'], boost: 2 }, kinds: ['hotwords', 'normalizer'] });
  const missing = await runCommand(PluginsInfo, ['nope', '--socket', socket], repoRoot);
  t.match(missing.error?.message, /no plugin named "nope"; known plugins: .*earshot-plugin-shout/);
  t.equal(missing.exitCode, 1);
});

t.test('without a daemon: a clear error, and --offline loads the plugins from the config', async (t) => {
  const sb = sandbox(['shout', 'bad-engines']);
  const down = await runCommand(PluginsList, ['--socket', join(sb.root, 'none.sock')], repoRoot);
  t.match(down.error?.message, /daemon not running/);
  t.equal(down.error?.oclif?.exit, 3, 'exit status 3: not running');

  const configFile = join(sb.root, 'config.json');
  writeFileSync(configFile, JSON.stringify({ dataDir: sb.dataDir, plugins: { dirs: [sb.pluginsDir, join(sb.root, 'gone')], npm: false, config: { shout: { words: ['x'] } } } }));
  const offline = await runCommand(PluginsList, ['--offline', '--config', configFile, '--json'], repoRoot);
  t.notOk(offline.error, 'no error');
  const listed = offline.result as PluginStatus[];
  t.match(listed.find((p) => p.alias === 'shout'), { state: 'running', kinds: ['hotwords', 'normalizer'] });
  t.match(listed.find((p) => p.name === 'earshot-plugin-from-the-future'), { state: 'error', version: '3.0.0', error: /needs Earshot plugin API \^2\.0\.0/ }, 'a refused package keeps the version it gives');
  const text = await runCommand(PluginsList, ['--offline', '--config', configFile], repoRoot);
  t.match(text.stdout, / earshot-plugin-from-the-future@3\.0\.0 \(dir\)$/m, 'listed as the version installed');
  t.match(text.stdout, / gone \(dir\)$/m, 'a folder with no package is listed by its name alone, not as "gone@"');
  t.match(text.stdout, /^shout\s+running\s+hotwords\+normalizer\s+\d+ calls, 0 failures\s+earshot-plugin-shout@1\.2\.0 \(dir, own thread\)$/m, 'the text listing says a folder plugin runs in its own thread');
});

t.test('plugins.process and hotwords.list control methods, and bad params', async (t) => {
  const { socket } = await daemonWithPlugins((fn) => t.teardown(fn));
  const processed = await callDaemonUntyped('plugins.process', { text: 'acme rocks', language: 'en' }, { socket });
  t.match(processed, { text: 'ACME rocks', applied: ['earshot-plugin-shout'] });
  t.same(await callDaemonUntyped('hotwords.list', {}, { socket }), [{ phrase: 'acme', boost: 2 }]);
  t.same(await callDaemonUntyped('hotwords.list', { language: 'zh' }, { socket }), [{ phrase: 'acme', boost: 2 }], 'language-free phrases apply to every language');
  await t.rejects(callDaemonUntyped('plugins.enable', {}, { socket }), { code: 'invalid_params', message: /must have required property 'name'/ });
  await t.rejects(callDaemonUntyped('plugins.disable', { name: 'ghost' }, { socket }), { code: 'invalid_params', message: /no plugin named "ghost"/, hint: 'see `earshot plugins list` for the names' });
});

t.test('hotwords list asks the daemon for the merged list', async (t) => {
  const { socket } = await daemonWithPlugins((fn) => t.teardown(fn));
  const { result, stdout } = await runCommand(HotwordsList, ['--socket', socket, '--language', 'en'], repoRoot);
  t.same(result, [{ phrase: 'acme', boost: 2 }]);
  t.equal(stdout, 'acme  boost 2\n');
});

t.test('plugins enable of a plugin that still cannot start exits 1 with why, and says the config file is read at start', async (t) => {
  const sb = sandbox(['shout', 'bad-config']);
  const host = new PluginHost({ logger: sb.logger, dataDir: sb.dataDir, builtinDir: sb.builtinDir, config: testConfig(sb, { config: { 'strict-config': { retries: -1 } } }) });
  const socket = join(sb.root, 'control.sock');
  const server = new ControlServer({ config: { socket, mode: '0600', maxRequestBytes: 65536, requestTimeoutMs: 30_000, maxConnections: 64 }, logger: sb.logger });
  registerPluginMethods(server, host);
  await host.start();
  await server.start();
  t.teardown(async () => {
    await server.stop();
    await host.stop();
  });
  const on = await runCommand(PluginsEnable, ['strict-config', '--socket', socket], repoRoot);
  t.equal(on.error?.oclif?.exit, 1, 'not 0: the plugin does not run');
  t.match(on.error?.message, /^earshot-plugin-strict-config: enabled, but error: invalid config .*retries: must be >= 0/);
  t.match(on.stderr + JSON.stringify(on.error), /reads the config file only when it starts.*restart it/);
  const json = await runCommand(PluginsEnable, ['strict-config', '--socket', socket, '--json'], repoRoot);
  t.match(JSON.parse(json.stdout), { error: { message: /enabled, but error/ } }, '--json says so too');
});
