import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventBus } from '../../daemon/bus.js';
import { PluginHost, UnknownPluginError } from '../../daemon/plugins/host.js';
import { sandbox, testConfig } from './sandbox.js';

const words = [
  { text: 'welcome', start: 0, end: 0.4 },
  { text: 'to', start: 0.4, end: 0.5 },
  { text: 'acme', start: 0.5, end: 0.9, confidence: 0.8 },
];

t.test('a third-party plugin in a temp folder is discovered, its config validated, its normalizer applied', async (t) => {
  const sb = sandbox(['shout']);
  const bus = new EventBus();
  const hotwordEvents: unknown[] = [];
  bus.on(t, 'hotwordsChanged', (e) => hotwordEvents.push(e));
  const host = new PluginHost({
    logger: sb.logger,
    dataDir: sb.dataDir,
    bus,
    builtinDir: sb.builtinDir,
    config: testConfig(sb, { config: { shout: { words: ['Acme'] } } }),
  });
  await host.start();
  t.teardown(() => host.stop());

  const [status] = host.list();
  t.match(status, { name: 'earshot-plugin-shout', alias: 'shout', version: '1.2.0', source: 'dir', state: 'running', kinds: ['hotwords', 'normalizer'], languages: ['en'] });
  t.same(host.info('shout').config, { words: ['Acme'], boost: 2 }, 'schema default filled in');

  const out = await host.process({ text: 'welcome to acme', words, language: 'en' });
  t.equal(out.text, 'welcome to ACME');
  t.same(out.words[2], { text: 'ACME', start: 0.5, end: 0.9, confidence: 0.8 });
  t.same(out.applied, ['earshot-plugin-shout']);
  t.same(out.skipped, []);

  const zh = await host.process({ text: 'acme 你好', language: 'zh' });
  t.equal(zh.text, 'acme 你好', 'an en-only normalizer does not run on Chinese');
  t.same(zh.applied, []);

  t.same(host.hotwords(), [{ phrase: 'acme', boost: 2 }]);
  t.same(hotwordEvents, [{ hotwords: [{ phrase: 'acme', boost: 2 }] }]);
  t.ok(sb.lines.some((l) => l.includes('earshot:plugins:shout shouting 1 words')), 'plugin logs carry its name');
});

t.test('a plugin without timestamps gets words realigned only when there are words', async (t) => {
  const sb = sandbox(['shout']);
  const host = new PluginHost({ logger: sb.logger, dataDir: sb.dataDir, builtinDir: sb.builtinDir, config: testConfig(sb, { config: { shout: { words: ['acme'] } } }) });
  await host.start();
  t.teardown(() => host.stop());
  const out = await host.process({ text: 'hello acme' });
  t.equal(out.text, 'hello ACME');
  t.same(out.words, []);
});

t.test('bad config and an incompatible API version are refused with a clear message', async (t) => {
  const sb = sandbox(['bad-config', 'bad-engines', 'shout']);
  const host = new PluginHost({ logger: sb.logger, dataDir: sb.dataDir, builtinDir: sb.builtinDir, config: testConfig(sb, { config: { 'strict-config': { retries: -1, colour: 'red' } } }) });
  await host.start();
  t.teardown(() => host.stop());
  const strict = host.info('strict-config');
  t.equal(strict.state, 'error');
  t.match(strict.error, /plugins\.config\.strict-config: .*endpoint|plugins\.config\.strict-config\.endpoint: is required/);
  t.match(strict.error, /plugins\.config\.strict-config\.retries: must be >= 0/);
  t.match(strict.error, /plugins\.config\.strict-config\.colour: unknown key/);
  const logged = sb.lines.find((l) => l.startsWith('ERROR') && l.includes('earshot-plugin-strict-config')) ?? '';
  t.match(logged, /invalid config for plugin earshot-plugin-strict-config: plugins\.config\.strict-config\S*: [^;]+; plugins\.config\.strict-config/, 'the problems in one line, joined by "; "');
  t.notOk(logged.includes('\\n') || logged.includes('\n'), `no line break, literal or escaped: ${logged}`);
  const future = host.info('earshot-plugin-from-the-future');
  t.equal(future.state, 'error');
  t.match(future.error, /needs Earshot plugin API \^2\.0\.0, this daemon provides 1\.\d+\.\d+/);
  t.equal(host.info('shout').state, 'running', 'the good plugin still runs');
  t.ok(sb.lines.some((l) => l.startsWith('ERROR') && l.includes('earshot-plugin-from-the-future')));
  const out = await host.process({ text: 'still here' });
  t.equal(out.text, 'still here');
});

t.test('enable and disable work live and are remembered across restarts', async (t) => {
  const sb = sandbox(['shout']);
  const options = { logger: sb.logger, dataDir: sb.dataDir, builtinDir: sb.builtinDir, config: testConfig(sb, { config: { shout: { words: ['acme'] } } }) };
  const host = new PluginHost(options);
  await host.start();
  t.equal((await host.disable('shout')).state, 'disabled');
  t.equal((await host.process({ text: 'acme' })).text, 'acme');
  t.same(host.hotwords(), [], 'a disabled provider gives no hotwords');
  await host.stop();
  t.same(JSON.parse(readFileSync(join(sb.dataDir, 'plugins', 'state.json'), 'utf8')), { format: 1, choices: { 'earshot-plugin-shout': 'disabled' } });

  const again = new PluginHost(options);
  await again.start();
  t.teardown(() => again.stop());
  t.equal(again.list()[0]?.state, 'disabled', 'still disabled after restart');
  t.equal((await again.enable('earshot-plugin-shout')).state, 'running');
  t.equal((await again.process({ text: 'acme' })).text, 'ACME');
  t.same(again.hotwords(), [{ phrase: 'acme', boost: 2 }]);
  await t.rejects(again.enable('nope'), UnknownPluginError);
  await t.rejects(again.disable('nope'), /no plugin named "nope"; known plugins: earshot-plugin-shout/);
});

t.test('config disabled list and order are honoured', async (t) => {
  const sb = sandbox(['shout', 'bad-config']);
  const host = new PluginHost({
    logger: sb.logger,
    dataDir: sb.dataDir,
    builtinDir: sb.builtinDir,
    config: testConfig(sb, { order: ['strict-config', 'shout'], disabled: [], config: { shout: { words: ['x'] }, 'strict-config': { endpoint: 'e' } } }),
  });
  await host.start();
  t.teardown(() => host.stop());
  t.same(host.list().map((s) => s.alias), ['strict-config', 'shout']);
  const out = await host.process({ text: 'x' });
  t.equal(out.text, 'X [e]', 'normalizers run before filters whatever the order');
  t.same(out.applied, ['earshot-plugin-shout', 'earshot-plugin-strict-config']);

  const sb2 = sandbox(['shout']);
  const off = new PluginHost({ logger: sb2.logger, dataDir: sb2.dataDir, builtinDir: sb2.builtinDir, config: testConfig(sb2, { disabled: ['shout'] }) });
  await off.start();
  t.teardown(() => off.stop());
  t.equal(off.list()[0]?.state, 'disabled');
});
