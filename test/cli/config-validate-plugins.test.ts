import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/daemon-process.js';
import { sandbox } from '../daemon-plugins/sandbox.js';
import { operatorChoiceFile } from '../../daemon/plugins/operator-choices.js';

/**
 * `earshot config validate` is what a deployer runs before restarting a box: a plugin section
 * the plugin's own schema refuses would start the daemon without that plugin (a hotword list
 * or a redacting filter gone), so it fails the check, named by path, as schema problems are.
 */
function configFile(dir: string, plugins: Record<string, unknown>, dataDir?: string): string {
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ plugins, ...(dataDir !== undefined ? { dataDir } : {}) }));
  return file;
}

t.test('plugin sections are checked against each plugin’s schema, third-party and built-in', async (t) => {
  const sb = sandbox(['shout', 'bad-config']);
  const file = configFile(sb.root, {
    dirs: [sb.pluginsDir],
    config: { shout: { boost: 11 }, 'hotwords-correct': { threshold: 0.9, bogus: true }, 'strict-config': { endpoint: 'https://x' } },
  });
  const res = await runCli(['config', 'validate', file]);
  t.equal(res.code, 78, 'exit 78, as for any other config problem');
  t.match(res.stderr, 'plugins.config.shout.boost: must be <= 10', 'the third-party plugin’s schema, by path');
  t.match(res.stderr, 'plugins.config.hotwords-correct.bogus: unknown key', 'and a built-in’s');
  t.notMatch(res.stderr, /strict-config/, 'a section its schema takes is not mentioned');
  t.notMatch(res.stdout, /valid/);

  const json = await runCli(['config', 'validate', file, '--json']);
  const result = JSON.parse(json.stdout) as { valid: boolean; errors: Array<{ path: string }> };
  t.equal(result.valid, false);
  t.same(result.errors.map((e) => e.path).sort(), ['plugins.config.hotwords-correct.bogus', 'plugins.config.shout.boost']);
});

t.test('a plugin that would start needs what its schema requires; one disabled without a section is not checked', async (t) => {
  const sb = sandbox(['bad-config']);
  const missing = await runCli(['config', 'validate', configFile(sb.root, { dirs: [sb.pluginsDir] })]);
  t.equal(missing.code, 78);
  t.match(missing.stderr, 'plugins.config.strict-config.endpoint: is required', 'its required key, under its section');

  const disabled = await runCli(['config', 'validate', configFile(sb.root, { dirs: [sb.pluginsDir], disabled: ['strict-config'] })]);
  t.equal(disabled.code, 0, `valid: it starts disabled (${disabled.stderr.trim()})`);
});

t.test('names that match no plugin, and plugin folders that would not load, are warned about without failing', async (t) => {
  const sb = sandbox([]);
  const file = configFile(sb.root, { dirs: [join(sb.root, 'no-such-folder')], config: { 'itn-eng': {} }, required: ['redcat'] });
  const res = await runCli(['config', 'validate', file]);
  t.equal(res.code, 0, 'valid: the daemon starts with this');
  t.match(res.stdout, `${file}: valid`);
  t.match(res.stderr, 'warning: plugins.config.itn-eng: no plugin named "itn-eng" is installed, so this is ignored; did you mean "itn-en"?');
  t.match(res.stderr, 'warning: plugins.required[0]: no plugin named "redcat"');
  t.match(res.stderr, /warning: plugin no-such-folder would not load: plugin folder .*no-such-folder \(plugins\.dirs\) does not exist/);
});

t.test('the operator’s earshot plugins disable|enable, kept in the data directory, decide what starts disabled, as at the start', async (t) => {
  const sb = sandbox(['bad-config']);
  // As `earshot plugins disable strict-config` leaves it: the daemon starts without it, its missing endpoint no matter.
  operatorChoiceFile(sb.dataDir).write({ 'earshot-plugin-strict-config': 'disabled' });
  const disabled = await runCli(['config', 'validate', configFile(sb.root, { dirs: [sb.pluginsDir] }, sb.dataDir)]);
  t.equal(disabled.code, 0, `valid: it starts disabled (${disabled.stderr.trim()})`);

  // And `earshot plugins enable` over plugins.disabled: it starts, so it needs its endpoint.
  operatorChoiceFile(sb.dataDir).write({ 'strict-config': 'enabled' });
  const enabled = await runCli(['config', 'validate', configFile(sb.root, { dirs: [sb.pluginsDir], disabled: ['strict-config'] }, sb.dataDir)]);
  t.equal(enabled.code, 78);
  t.match(enabled.stderr, 'plugins.config.strict-config.endpoint: is required');
});
