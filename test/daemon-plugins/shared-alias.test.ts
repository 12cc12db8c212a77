import t from 'tap';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PluginHost } from '../../daemon/plugins/host.js';
import type { PluginsConfig } from '../../daemon/plugins/types.js';
import { sandbox, testConfig } from './sandbox.js';

/**
 * Two packages from different scopes share a short name (alias): `earshot-plugin-redact-gate`
 * and `@acme/plugin-redact-gate` are both `redact-gate`. Real host, real plugin packages.
 */
async function twoGates(t: { teardown(fn: () => Promise<void>): void }, overrides: Partial<PluginsConfig> = { required: ['redact-gate'] }) {
  const sb = sandbox(['redact-gate']);
  const other = join(sb.pluginsDir, 'acme-redact-gate');
  cpSync(join(sb.pluginsDir, 'redact-gate'), other, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(other, 'package.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(other, 'package.json'), JSON.stringify({ ...manifest, name: '@acme/plugin-redact-gate' }));
  const host = new PluginHost({
    logger: sb.logger,
    dataDir: sb.dataDir,
    builtinDir: sb.builtinDir,
    config: testConfig(sb, { timeouts: { 'earshot-plugin-redact-gate': 2000, '@acme/plugin-redact-gate': 2000 }, ...overrides }),
  });
  await host.start();
  t.teardown(() => host.stop());
  return { host, sb };
}

t.test('plugins.required by a shared short name requires every plugin that has it', async (t) => {
  const { host, sb } = await twoGates(t);
  const names = host.list().map((p) => p.name);
  t.same([...names].sort(), ['@acme/plugin-redact-gate', 'earshot-plugin-redact-gate']);
  t.match(sb.lines.join('\n'), /WARN +earshot:plugins plugins\.required\[0\]: "redact-gate" is the short name of 2 plugins \((@acme\/plugin-redact-gate|earshot-plugin-redact-gate), (@acme\/plugin-redact-gate|earshot-plugin-redact-gate)\), so all of them are required; write the full name/);
  t.same(host.list().map((p) => p.required), [true, true], 'both are listed as required');
  t.equal(host.requiredUnavailable(), undefined, 'both run');

  // The one found second is the one a first-found lookup would never check.
  const second = names[1]!;
  await host.disable(second);
  t.match(host.requiredUnavailable(), new RegExp(`required plugin ${second.replace('/', '\\/')} did not run \\(disabled`), 'the second one held jobs too');
  const held = await host.process({ text: 'my card', language: 'en' });
  t.match(held.requiredMissing, [{ plugin: second }], 'and a transcript without it is not to be published');
});

t.test('a CLI argument naming two plugins by their short name is refused, saying which', async (t) => {
  const { host } = await twoGates(t);
  await t.rejects(host.disable('redact-gate'), { name: 'UnknownPluginError', message: /"redact-gate" is the short name of 2 plugins: write the full name, one of (@acme\/plugin-redact-gate|earshot-plugin-redact-gate), / });
  t.same(host.list().map((p) => p.state), ['running', 'running'], 'neither was disabled');
  await t.resolves(host.disable('@acme/plugin-redact-gate'), 'the full name works');
});

t.test('any other setting by a shared short name applies to every plugin that has it, and the warning says so', async (t) => {
  const { host, sb } = await twoGates(t, { disabled: ['redact-gate'] });
  t.same(host.list().map((p) => p.state), ['disabled', 'disabled'], 'plugins.disabled matched both by their short name');
  t.match(sb.lines.join('\n'), /WARN +earshot:plugins plugins\.disabled\[0\]: "redact-gate" is the short name of 2 plugins \([^)]+\), so it applies to all of them; write the full name/);
  t.notMatch(sb.lines.join('\n'), / only; write the full name/, 'not said to apply to one of them only');
});
