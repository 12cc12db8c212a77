import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EventBus } from '../../daemon/bus.js';
import { silentLogger } from '../../daemon/log/logger.js';
import { PluginHost } from '../../daemon/plugins/host.js';
import { tempDir } from '../helpers/paths.js';
import { pluginsConfig } from './sandbox.js';

/** Words one second apart, as a model with word timestamps would give them. */
const timed = (text: string) => text.split(' ').map((w, i) => ({ text: w, start: i, end: i + 1 }));

// Inline (the default for built-ins) and each in its own thread: the same results, hotword
// requests and file watches included.
for (const isolation of ['auto', 'thread'] as const) t.test(`the built-in plugins load from plugins/ and run as one chain (isolation ${isolation})`, async (t) => {
  const dir = tempDir();
  const list = join(dir, 'hotwords.txt');
  writeFileSync(list, 'Jetson Nano:2\n');
  const bus = new EventBus();
  const changes: number[] = [];
  bus.on(t, 'hotwordsChanged', (e) => changes.push(e.hotwords.length));
  // The default built-in folder and node_modules: what an installed daemon sees.
  const host = new PluginHost({
    logger: silentLogger,
    dataDir: join(dir, 'data'),
    bus,
    config: pluginsConfig({ npm: true, order: ['hotwords-correct'], config: { 'hotwords-file': { file: list } }, timeoutMs: 1000, lifecycleTimeoutMs: 5000, isolation }),
  });
  await host.start();
  t.teardown(() => host.stop());
  const byAlias = Object.fromEntries(host.list().map((s) => [s.alias, s]));
  t.match(byAlias, {
    'hotwords-file': { state: 'running', source: 'builtin', kinds: ['hotwords'] },
    'hotwords-correct': { state: 'running', source: 'builtin', kinds: ['normalizer'] },
    'itn-en': { state: 'running', source: 'builtin', kinds: ['normalizer'] },
    'itn-zh': { state: 'running', source: 'builtin', kinds: ['normalizer'] },
  });
  t.same(host.hotwords(), [{ phrase: 'Jetson Nano', boost: 2 }]);

  // Correction first (config order), then ITN: both in one transcript, timestamps kept.
  const text = 'i paid twenty three dollars and fifty cents for a jet son nano';
  const out = await host.process({ text, words: timed(text), language: 'en' });
  t.equal(out.text, 'i paid $23.50 for a Jetson Nano');
  t.same(out.applied.slice(0, 2), ['@earshot/plugin-hotwords-correct', '@earshot/plugin-itn-en']);
  t.same(out.skipped, []);
  t.same(out.words.find((w) => w.text === '$23.50'), { text: '$23.50', start: 2, end: 8 });
  t.same(out.words.at(-1), { text: 'Nano', start: 11.5, end: 13 });
  t.equal((await host.process({ text: 'one of the best', language: 'en' })).text, 'one of the best');
  t.equal((await host.process({ text: '二十三点五', language: 'zh' })).text, '23.5');

  // A new list reaches the corrector through the host, live.
  writeFileSync(list, 'Jetson Nano:2\nEarshot:1\n');
  for (let i = 0; i < 100 && host.hotwords().length < 2; i++) await sleep(20);
  t.same(changes, [1, 2]);
  t.equal((await host.process({ text: 'the ear shot box', language: 'en' })).text, 'the Earshot box');
});
