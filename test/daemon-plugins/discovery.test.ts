import t from 'tap';
import { chmodSync, chownSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { API_VERSION } from '@earshot/sdk';
import { discoverPlugins } from '../../daemon/plugins/discovery.js';
import { PluginHost } from '../../daemon/plugins/host.js';
import { pluginAlias } from '../../daemon/plugins/manifest.js';
import { sandbox, testConfig } from './sandbox.js';

/** Write a plugin package (package.json + index.js) into `dir`. */
function writePlugin(dir: string, manifest: Record<string, unknown>, code = "import { definePlugin } from '@earshot/sdk';\nexport default definePlugin({ create: () => ({ filter: { filter: (i) => ({ text: i.text }) } }) });\n"): void {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', main: 'index.js', keywords: ['earshot-plugin'], engines: { earshot: '^1.0.0' }, version: '1.0.0', ...manifest }));
  writeFileSync(join(dir, 'index.js'), code, { mode: 0o644 });
}

t.test('aliases drop the scope and the plugin- prefix', async (t) => {
  t.equal(pluginAlias('@earshot/plugin-itn-en'), 'itn-en');
  t.equal(pluginAlias('earshot-plugin-shout'), 'shout');
  t.equal(pluginAlias('@acme/redactor'), 'redactor');
});

t.test('npm packages are found by keyword, scoped too; linked built-ins count once', async (t) => {
  const sb = sandbox([]);
  const nm = join(sb.root, 'node_modules');
  writePlugin(join(nm, 'earshot-plugin-a'), { name: 'earshot-plugin-a' });
  writePlugin(join(nm, '@acme', 'earshot-plugin-b'), { name: '@acme/earshot-plugin-b' });
  writePlugin(join(nm, 'left-pad'), { name: 'left-pad', keywords: ['string'] });
  writePlugin(join(sb.builtinDir, 'c'), { name: '@earshot/plugin-c' });
  symlinkSync(join(sb.builtinDir, 'c'), join(nm, '@earshot', 'plugin-c'));
  const found = discoverPlugins({ builtinDir: sb.builtinDir, dirs: [], nodeModulesDir: nm });
  t.same(
    found.map((c) => (c.ok ? [c.source, c.manifest.name, c.manifest.alias] : c.error)),
    [
      ['builtin', '@earshot/plugin-c', 'c'],
      ['npm', '@acme/earshot-plugin-b', 'b'],
      ['npm', 'earshot-plugin-a', 'a'],
    ],
  );
  t.same(discoverPlugins({ builtinDir: sb.builtinDir, dirs: [], nodeModulesDir: undefined }).length, 1, 'npm: false skips node_modules');
});

t.test('refusals say what is wrong and how to fix it', async (t) => {
  const sb = sandbox([]);
  const dir = (name: string) => join(sb.pluginsDir, name);
  writePlugin(dir('shared'), { name: 'earshot-plugin-shared' });
  chmodSync(dir('shared'), 0o775);
  writePlugin(dir('no-engines'), { name: 'earshot-plugin-no-engines', engines: {} });
  writePlugin(dir('bad-range'), { name: 'earshot-plugin-bad-range', engines: { earshot: 'soon' } });
  writePlugin(dir('bad-name'), { name: '../../etc' });
  writePlugin(dir('shared-main'), { name: 'earshot-plugin-shared-main' });
  chmodSync(join(dir('shared-main'), 'index.js'), 0o666);
  writePlugin(dir('twin-1'), { name: 'earshot-plugin-twin' });
  writePlugin(dir('twin-2'), { name: 'earshot-plugin-twin' });
  mkdirSync(dir('broken-json'), { mode: 0o755 });
  writeFileSync(join(dir('broken-json'), 'package.json'), '{ "name": ');
  const found = discoverPlugins({ builtinDir: sb.builtinDir, dirs: [sb.pluginsDir, join(sb.root, 'missing')] });
  const errors = found.filter((c) => !c.ok).map((c) => (c.ok ? '' : c.error));
  t.equal(found.filter((c) => c.ok).length, 1, 'only the first twin is usable');
  t.equal(errors.length, 8);
  t.match(errors, [
    /bad-name\/package\.json: "name" is "\.\.\/\.\.\/etc", not a valid npm package name/,
    /bad-range\/package\.json\): "engines\.earshot" is "soon", not a semver range/,
    /broken-json\/package\.json is not valid JSON .*; fix the file/,
    new RegExp(`earshot-plugin-no-engines .* declares no "engines\\.earshot"; add "engines": \\{ "earshot": "\\^${API_VERSION.split('.')[0]}\\.0\\.0" \\}`),
    /plugin folder .*shared is writable by group or others.*chmod go-w/,
    /plugin earshot-plugin-shared-main: .*shared-main\/index\.js is writable by group or others; fix with `chmod go-w /,
    /plugin earshot-plugin-twin found twice: .*twin-1 and .*twin-2; remove one of them/,
    /plugin folder .*missing \(plugins\.dirs\) does not exist/,
  ]);
  const groupWritable = join(sb.root, 'group-writable');
  mkdirSync(groupWritable);
  chmodSync(groupWritable, 0o777);
  t.match(discoverPlugins({ builtinDir: sb.builtinDir, dirs: [groupWritable] }), [{ ok: false, error: /group-writable \(plugins\.dirs\) is writable by group or others/ }]);
});

t.test('import and create problems leave the plugin in error and the host running', async (t) => {
  const sb = sandbox(['shout']);
  const dir = (name: string) => join(sb.pluginsDir, name);
  writePlugin(dir('no-default'), { name: 'earshot-plugin-no-default' }, 'export const x = 1;\n');
  writePlugin(dir('syntax'), { name: 'earshot-plugin-syntax' }, 'export default {{;\n');
  writePlugin(dir('missing-main'), { name: 'earshot-plugin-missing-main', main: 'dist/index.js' });
  writePlugin(dir('create-throws'), { name: 'earshot-plugin-create-throws' }, "import { definePlugin } from '@earshot/sdk';\nexport default definePlugin({ create() { throw new Error('no licence key'); } });\n");
  writePlugin(dir('create-hangs'), { name: 'earshot-plugin-create-hangs' }, "import { definePlugin } from '@earshot/sdk';\nexport default definePlugin({ create: () => new Promise(() => {}) });\n");
  writePlugin(dir('nothing'), { name: 'earshot-plugin-nothing' }, "import { definePlugin } from '@earshot/sdk';\nexport default definePlugin({ create: () => ({}) });\n");
  writePlugin(dir('newer-sdk'), { name: 'earshot-plugin-newer-sdk' }, "export default { apiVersion: '1.99.0', create: () => ({ filter: { filter: (i) => i } }) };\n");
  const host = new PluginHost({ logger: sb.logger, dataDir: sb.dataDir, builtinDir: sb.builtinDir, config: testConfig(sb, { lifecycleTimeoutMs: 200, config: { shout: { words: ['a'] } } }) });
  await host.start();
  t.teardown(() => host.stop());
  const errors = Object.fromEntries(host.list().map((s) => [s.alias, s.error ?? s.state]));
  t.match(errors, {
    'no-default': /index\.js has no default export made by definePlugin\(\); write `export default definePlugin/,
    syntax: /cannot import .*syntax\/index\.js \(/,
    'missing-main': /main module .*dist\/index\.js does not exist; build the plugin/,
    'create-throws': 'create() threw: no licence key',
    'create-hangs': 'create() timed out after 200 ms',
    nothing: /create\(\) returned no hotwordProvider, normalizer or filter/,
    'newer-sdk': /built against plugin SDK 1\.99\.0; this daemon provides 1\.\d+\.\d+; rebuild the plugin/,
    shout: 'running',
  });
  t.equal((await host.process({ text: 'a b' })).text, 'A b');
  t.match(errors['create-throws'], `(at ${join(dir('create-throws'), 'index.js')}:2:`, "create()'s failure says where in the plugin, from its own thread");
  const inline = new PluginHost({ logger: sb.logger, dataDir: sb.dataDir, builtinDir: sb.builtinDir, config: testConfig(sb, { isolation: 'inline', lifecycleTimeoutMs: 200, config: { shout: { words: ['a'] } } }) });
  await inline.start();
  t.teardown(() => inline.stop());
  t.match(inline.info('create-throws').error, `create() threw: no licence key (at ${join(dir('create-throws'), 'index.js')}:2:`, 'and inline');
});

t.test('an import failure names the error and, where its stack has one, the file and line, also in a module the main module imports', async (t) => {
  const sb = sandbox([]);
  const dir = (name: string) => join(sb.pluginsDir, name);
  const importsUnits = "import { units } from './units.js';\nexport default { apiVersion: '1.0.0', create: () => ({ filter: { filter: (i) => ({ text: i.text + units }) } }) };\n";
  writePlugin(dir('throws-at-load'), { name: 'earshot-plugin-throws-at-load' }, importsUnits);
  writeFileSync(join(dir('throws-at-load'), 'units.js'), "export const units = 1;\nthrow new RangeError('no units table');\n", { mode: 0o644 });
  writePlugin(dir('unparsable'), { name: 'earshot-plugin-unparsable' }, importsUnits);
  writeFileSync(join(dir('unparsable'), 'units.js'), 'export const units = ;\n', { mode: 0o644 });
  writePlugin(dir('no-export'), { name: 'earshot-plugin-no-export' }, "import { nope } from './units.js';\nexport default nope;\n");
  writeFileSync(join(dir('no-export'), 'units.js'), 'export const units = 1;\n', { mode: 0o644 });
  const host = new PluginHost({ logger: sb.logger, dataDir: sb.dataDir, builtinDir: sb.builtinDir, config: testConfig(sb) });
  await host.start();
  t.teardown(() => host.stop());
  const errors = Object.fromEntries(host.list().map((s) => [s.alias, s.error ?? s.state]));
  t.match(errors['throws-at-load'], `index.js (RangeError: no units table, at ${join(dir('throws-at-load'), 'units.js')}:2:7)`);
  t.match(errors['no-export'], `index.js (SyntaxError: The requested module './units.js' does not provide an export named 'nope', at ${join(dir('no-export'), 'index.js')}:1)`);
  // Node 20 gives a syntax error found while parsing no file or line: the message says how to find it.
  t.match(errors['unparsable'], /index\.js \(SyntaxError: Unexpected token ';'(, at .*units\.js:1|, in that module or one it imports \(Node names neither; `node --check FILE` on each shows where\))\)$/);
});

t.test('built-ins may be group-writable (a checkout under umask 002), never world-writable', async (t) => {
  const sb = sandbox([]);
  writePlugin(join(sb.builtinDir, 'group'), { name: '@earshot/plugin-group' });
  chmodSync(join(sb.builtinDir, 'group'), 0o775);
  writePlugin(join(sb.builtinDir, 'world'), { name: '@earshot/plugin-world' });
  chmodSync(join(sb.builtinDir, 'world'), 0o777);
  const found = discoverPlugins({ builtinDir: sb.builtinDir, dirs: [] });
  t.match(found, [
    { ok: true, source: 'builtin', manifest: { name: '@earshot/plugin-group' } },
    { ok: false, source: 'builtin', error: /world is writable by group or others/ },
  ]);
});

t.test('package.json, every folder down to main, and main itself must be safe; main must lie inside the package', async (t) => {
  const sb = sandbox([]);
  const dir = (name: string) => join(sb.pluginsDir, name);
  writePlugin(dir('shared-manifest'), { name: 'earshot-plugin-shared-manifest' });
  chmodSync(join(dir('shared-manifest'), 'package.json'), 0o666);
  writePlugin(dir('shared-dist'), { name: 'earshot-plugin-shared-dist', main: 'dist/index.js' });
  mkdirSync(join(dir('shared-dist'), 'dist', 'inner'), { recursive: true });
  writeFileSync(join(dir('shared-dist'), 'dist', 'index.js'), 'export default 1;\n', { mode: 0o644 });
  chmodSync(join(dir('shared-dist'), 'dist'), 0o777);
  const elsewhere = join(sb.root, 'elsewhere');
  mkdirSync(elsewhere, { mode: 0o755 });
  writeFileSync(join(elsewhere, 'evil.js'), 'export default 1;\n', { mode: 0o644 });
  writePlugin(dir('absolute-main'), { name: 'earshot-plugin-absolute-main', main: join(elsewhere, 'evil.js') });
  writePlugin(dir('linked-main'), { name: 'earshot-plugin-linked-main', main: 'dist/evil.js' });
  symlinkSync(elsewhere, join(dir('linked-main'), 'dist'));
  writePlugin(dir('dotted'), { name: 'earshot-plugin-dotted', main: '..index.js' });
  writeFileSync(join(dir('dotted'), '..index.js'), "export { default } from './index.js';\n", { mode: 0o644 });
  const found = discoverPlugins({ builtinDir: sb.builtinDir, dirs: [sb.pluginsDir] });
  t.match(
    found.map((c) => (c.ok ? c.manifest.name : c.error)),
    [
      /^plugin earshot-plugin-absolute-main: its main module .*elsewhere\/evil\.js is outside the plugin folder .*absolute-main; ship the code inside the package$/,
      'earshot-plugin-dotted',
      /^plugin earshot-plugin-linked-main: its main module .*linked-main\/dist\/evil\.js is a link to .*elsewhere\/evil\.js, outside the plugin folder/,
      /^plugin earshot-plugin-shared-dist: .*shared-dist\/dist is writable by group or others; fix with `chmod go-w .*shared-dist\/dist`$/,
      /^plugin earshot-plugin-shared-manifest: .*shared-manifest\/package\.json is writable by group or others/,
    ],
  );
});

const asRoot = process.geteuid?.() === 0;
t.test('a package folder, package.json or main owned by another user is refused', { skip: asRoot ? false : 'needs root to give files to another user' }, async (t) => {
  const sb = sandbox([]);
  const other = 65534; // nobody
  const dir = (name: string) => join(sb.pluginsDir, name);
  writePlugin(dir('foreign-folder'), { name: 'earshot-plugin-foreign-folder' });
  chownSync(dir('foreign-folder'), other, other);
  writePlugin(dir('foreign-manifest'), { name: 'earshot-plugin-foreign-manifest' });
  chownSync(join(dir('foreign-manifest'), 'package.json'), other, other);
  writePlugin(dir('foreign-main'), { name: 'earshot-plugin-foreign-main' });
  chownSync(join(dir('foreign-main'), 'index.js'), other, other);
  writePlugin(dir('fine'), { name: 'earshot-plugin-fine' });
  const found = discoverPlugins({ builtinDir: sb.builtinDir, dirs: [sb.pluginsDir] });
  const owned = (path: string) => new RegExp(`${path} is owned by uid ${other}, not by root or earshotd's user \\(uid 0\\), and its owner could change the code earshotd runs; fix with \`chown root `);
  t.match(
    found.map((c) => (c.ok ? c.manifest.name : c.error)),
    ['earshot-plugin-fine', owned('foreign-folder'), owned('foreign-main/index\\.js'), owned('foreign-manifest/package\\.json')],
  );
  const shared = join(sb.root, 'shared-root');
  mkdirSync(shared, { mode: 0o755 });
  chownSync(shared, other, other);
  t.match(discoverPlugins({ builtinDir: sb.builtinDir, dirs: [shared] }), [{ ok: false, error: /shared-root \(plugins\.dirs\) is owned by uid 65534/ }]);
});
