import t from 'tap';
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createTestContext } from '@earshot/sdk/testing';
import type { PluginDefinition, TranscriptFilter } from '@earshot/sdk';
import { LogSink } from '../../daemon/log/logger.js';
import { PluginHost } from '../../daemon/plugins/host.js';
import { repoRoot, tempDir } from '../helpers/paths.js';
import { pluginsConfig } from '../daemon-plugins/sandbox.js';

/**
 * The complete plugin in sdk/README.md, taken from the README itself (the code block after
 * each file name), written to a temp folder and run: the guide cannot drift from what works.
 */
function writeReadmePlugin(): string {
  const readme = readFileSync(join(repoRoot, 'sdk', 'README.md'), 'utf8');
  const root = tempDir('earshot-readme-');
  const dir = join(root, 'plugins', 'earshot-plugin-redact-cards');
  mkdirSync(dir, { recursive: true });
  chmodSync(join(root, 'plugins'), 0o755);
  chmodSync(dir, 0o755);
  for (const file of ['package.json', 'config.schema.json', 'index.js']) {
    const block = new RegExp('^`' + file.replaceAll('.', '\\.') + '`[\\s\\S]*?```\\w*\\n([\\s\\S]*?)\\n```', 'm').exec(readme);
    if (!block) throw new Error(`sdk/README.md has no code block for ${file}`);
    writeFileSync(join(dir, file), block[1]!, { mode: 0o644 });
  }
  mkdirSync(join(root, 'node_modules', '@earshot'), { recursive: true });
  symlinkSync(join(repoRoot, 'sdk'), join(root, 'node_modules', '@earshot', 'sdk'));
  return root;
}

t.test('the README plugin works with the testing context, as the README test says', async (t) => {
  const root = writeReadmePlugin();
  const mod = (await import(pathToFileURL(join(root, 'plugins', 'earshot-plugin-redact-cards', 'index.js')).href)) as { default: PluginDefinition<{ keepLast: number; mask: string }> };
  const fake = createTestContext({ name: 'redact-cards', config: { keepLast: 4, mask: '*' } });
  const { filter } = await mod.default.create(fake.context);
  const out = await (filter as TranscriptFilter).filter({ text: 'card 4111 1111 1111 1111 please', words: [] });
  t.equal(out.text, 'card ************1111 please');
  t.match(fake.logs[0]?.message, /keeping the last 4/);
  await fake.stop();
});

t.test('the README plugin under the host: config validated, filter applied, timestamps realigned', async (t) => {
  const root = writeReadmePlugin();
  const lines: string[] = [];
  const logger = new LogSink({ level: 'info', format: 'text', syslogPrefix: false, write: (l) => void lines.push(l) }).logger('plugins');
  const config = pluginsConfig({ dirs: [join(root, 'plugins')], config: { 'redact-cards': { keepLast: 2 } } });
  const host = new PluginHost({ logger, dataDir: join(root, 'data'), builtinDir: join(root, 'none'), config });
  await host.start();
  t.teardown(() => host.stop());
  t.match(host.info('redact-cards'), { state: 'running', kinds: ['hotwords', 'filter'], config: { keepLast: 2, mask: '*' } });
  const digits = '4111 1111 1111 1111'.split(' ');
  const words = [{ text: 'card', start: 0, end: 0.5 }, ...digits.map((d, i) => ({ text: d, start: 0.5 + i, end: 1.5 + i })), { text: 'ok', start: 4.5, end: 5 }];
  const out = await host.process({ text: `card ${digits.join(' ')} ok`, words, language: 'en' });
  t.equal(out.text, 'card **************11 ok');
  t.same(out.words.map((w) => [w.text, w.start, w.end]), [['card', 0, 0.5], ['**************11', 0.5, 4.5], ['ok', 4.5, 5]]);
  t.same(host.hotwords('en'), [{ phrase: 'card number', boost: 1.5, language: 'en' }]);
  t.same(host.hotwords('zh'), []);
  t.ok(lines.some((l) => l.includes('earshot:plugins:redact-cards keeping the last 2 digits')));

  const bad = new PluginHost({ logger, dataDir: join(root, 'data2'), builtinDir: join(root, 'none'), config: { ...config, config: { 'redact-cards': { keepLast: 9 } } } });
  await bad.start();
  t.teardown(() => bad.stop());
  t.match(bad.info('redact-cards'), { state: 'error', error: /plugins\.config\.redact-cards\.keepLast: must be <= 4/ });
});
