import t from 'tap';
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestContext } from '@earshot/sdk/testing';
import plugin, { type HotwordsFileConfig } from '@earshot/plugin-hotwords-file';
import { EventBus } from '../../../daemon/bus.js';
import { silentLogger } from '../../../daemon/log/logger.js';
import { PluginHost } from '../../../daemon/plugins/host.js';
import { repoRoot, tempDir } from '../../helpers/paths.js';
import { pluginsConfig } from '../../daemon-plugins/sandbox.js';

/** A built-in folder holding only a link to this repository's plugin `name`. */
function onlyBuiltin(dir: string, name: string): string {
  const builtins = join(dir, 'builtins');
  mkdirSync(builtins);
  symlinkSync(join(repoRoot, 'plugins', name), join(builtins, name));
  return builtins;
}

const base: HotwordsFileConfig = {
  file: null,
  format: 'auto',
  defaultBoost: 1.5,
  maxBoost: 10,
  language: null,
  watch: true,
  refresh: null,
  maxLength: 48,
  maxPhrases: 5000,
};

t.test('with the SDK test context: loads, watches, schedules, keeps the last good list', async (t) => {
  const dir = tempDir();
  const file = join(dir, 'hotwords.txt');
  writeFileSync(file, 'earshot:2\nacme\n');
  const fake = createTestContext<HotwordsFileConfig>({ name: 'hotwords-file', config: { ...base, file, refresh: '*/5 * * * *', language: 'en' } });
  const instance = await plugin.create(fake.context);
  t.teardown(() => fake.stop());
  const provider = instance.hotwordProvider!;
  t.same(await provider.hotwords(), [
    { phrase: 'earshot', boost: 2, language: 'en' },
    { phrase: 'acme', boost: 1.5, language: 'en' },
  ]);
  t.equal(fake.hotwordsChangedCalls, 1);
  t.same(fake.schedules.map((s) => s.spec), ['*/5 * * * *']);

  writeFileSync(file, 'earshot:2\nacme\nzeta:0.5 # new\n');
  await fake.runScheduled();
  t.equal((await provider.hotwords()).length, 3);
  t.equal(fake.hotwordsChangedCalls, 2);
  await fake.runScheduled();
  t.equal(fake.hotwordsChangedCalls, 2, 'no change, no notice');

  // A list that cannot be read keeps the old one; a removed list empties it.
  rmSync(file);
  mkdirSync(file);
  await fake.runScheduled();
  t.equal((await provider.hotwords()).length, 3);
  t.ok(fake.logs.some((l) => l.level === 'error' && l.message.includes('not reloaded, keeping 3 phrases')));
  rmSync(file, { recursive: true });
  await fake.runScheduled();
  t.same(await provider.hotwords(), []);
  t.ok(fake.logs.some((l) => l.level === 'warn' && l.message.includes('does not exist')));
});

t.test('without a file it provides nothing', async (t) => {
  const fake = createTestContext<HotwordsFileConfig>({ config: base });
  const instance = await plugin.create(fake.context);
  t.same(await instance.hotwordProvider!.hotwords(), []);
});

t.test('under the real host: a changed file reaches the decoder through hotwordsChanged', async (t) => {
  const dir = tempDir();
  const file = join(dir, 'site.txt');
  writeFileSync(file, 'earshot:2\n');
  const bus = new EventBus();
  const seen: string[][] = [];
  bus.on(t, 'hotwordsChanged', (e) => seen.push(e.hotwords.map((h) => h.phrase)));
  const host = new PluginHost({
    logger: silentLogger,
    dataDir: join(dir, 'data'),
    bus,
    builtinDir: onlyBuiltin(dir, 'hotwords-file'),
    config: pluginsConfig({ config: { 'hotwords-file': { file } } }),
  });
  await host.start();
  t.teardown(() => host.stop());
  t.same(host.hotwords(), [{ phrase: 'earshot', boost: 2 }]);

  // Replace the file the way editors and config tools do: write a temp file, rename over.
  writeFileSync(`${file}.tmp`, 'earshot:2\nJean-Luc:3\n');
  renameSync(`${file}.tmp`, file);
  for (let i = 0; i < 100 && host.hotwords().length < 2; i++) await sleep(20);
  t.same(host.hotwords(), [{ phrase: 'earshot', boost: 2 }, { phrase: 'Jean-Luc', boost: 3 }]);
  t.same(seen.at(-1), ['earshot', 'Jean-Luc']);
  t.same(host.hotwords('zh'), host.hotwords(), 'language-free phrases apply to every language');
});

t.test('a bad config is refused by the host with the schema path', async (t) => {
  const dir = tempDir();
  const host = new PluginHost({
    logger: silentLogger,
    dataDir: join(dir, 'data'),
    builtinDir: onlyBuiltin(dir, 'hotwords-file'),
    config: pluginsConfig({ config: { 'hotwords-file': { file: join(dir, 'x.txt'), defaultBoost: 99, format: 'xml' } } }),
  });
  await host.start();
  t.teardown(() => host.stop());
  const info = host.info('hotwords-file');
  t.equal(info.state, 'error');
  t.match(info.error, /plugins\.config\.hotwords-file\.defaultBoost: must be <= 10/);
  t.match(info.error, /plugins\.config\.hotwords-file\.format: must be equal to one of the allowed values/);
});
