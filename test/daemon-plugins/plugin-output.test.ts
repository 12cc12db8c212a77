import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PluginsConfig } from '../../daemon/plugins/types.js';
import { startSandboxHost } from './sandbox.js';

/** What a plugin hands back is checked, and a bad value is that plugin's failure, never the host's. */
function startHost(t: { teardown(fn: () => Promise<void>): void }, fixtures: string[], overrides: Partial<PluginsConfig> = {}) {
  return startSandboxHost(t, fixtures, { timeoutMs: 2000, order: [...fixtures, 'shout'], ...overrides });
}

const oneWord = (text: string) => ({ text, words: [{ text, start: 0, end: 1 }], language: 'en' });

t.test('BigInts and cycles in hotwords are dropped with a description; start() and refreshes go on', async (t) => {
  const { host, sb } = await startHost(t, ['odd-values']);
  t.match(host.list().find((s) => s.alias === 'odd-values'), { state: 'running', failures: 0 });
  t.same(host.hotwords().map((h) => h.phrase).sort(), ['acme', 'v1'], 'the good entries of both providers');
  const warning = sb.lines.find((l) => l.startsWith('WARN') && l.includes('earshot-plugin-odd-values: 3 hotwords dropped'));
  t.ok(warning, 'the drop is logged with the plugin name');
  t.match(warning, /boost 5n must be a number/);
  t.match(warning, /phrase <ref \*1> \{ name: 'loop', self: \[Circular \*1\] \}/);

  // Its normalizer calls hotwordsChanged() on 'extra': the refresh in the background meets the same values.
  await host.process(oneWord('extra'));
  for (let i = 0; i < 200 && !host.hotwords().some((h) => h.phrase === 'v2'); i++) await sleep(10);
  t.same(host.hotwords().map((h) => h.phrase).sort(), ['acme', 'v2'], 'the refresh completed');
});

t.test('a result whose text is not a string says what its text is, not only that it is an object', async (t) => {
  const { host } = await startHost(t, ['odd-values']);
  const out = await host.process(oneWord('text-number'));
  t.equal(out.text, 'text-number', 'its output was not taken');
  t.match(out.skipped, [{ plugin: 'earshot-plugin-odd-values', reason: 'returned an object whose text is 42, expected { text: string, words?: TimedWord[] }' }]);
});

t.test('an inline plugin whose result has a getter for text: read once, a throw is its failure, never the host\'s', async (t) => {
  const { host } = await startHost(t, ['odd-values'], { isolation: 'inline' });
  const thrown = await host.process(oneWord('text-getter-throws'));
  t.equal(thrown.text, 'text-getter-throws', 'its output was not taken');
  t.match(thrown.skipped, [{ plugin: 'earshot-plugin-odd-values', reason: /^returned an object whose text or words cannot be read \(no text today\)/ }]);
  const flipped = await host.process(oneWord('text-getter-flips'));
  t.equal(flipped.text, 'fine', 'the text checked is the text taken');
  const silent = await host.process(oneWord('message-getter-throws'));
  t.equal(silent.text, 'message-getter-throws', 'an Error whose message cannot be read is a failure too');
  t.match(silent.skipped, [{ plugin: 'earshot-plugin-odd-values', reason: /^threw: / }]);
});

t.test('BigInt or cyclic word times are the plugin failure: the transcript goes on, the plugin is set aside', async (t) => {
  const { host, sb } = await startHost(t, ['odd-values']);
  const first = await host.process(oneWord('bigint'));
  t.equal(first.text, 'bigint', 'its output was not taken');
  t.same(first.applied, ['earshot-plugin-shout']);
  t.match(first.skipped, [{ plugin: 'earshot-plugin-odd-values', reason: /^returned words\[0\] = \{ text: 'bigint', start: 0n, end: 1n \}, expected/ }]);
  t.match(host.info('odd-values'), { state: 'running', failures: 1 });

  const second = await host.process(oneWord('cycle'));
  t.equal(second.text, 'cycle');
  t.match(second.skipped, [{ plugin: 'earshot-plugin-odd-values', reason: /end: <ref \*1> \{ name: 'loop', self: \[Circular \*1\] \}/ }]);
  t.match(host.info('odd-values'), { state: 'failed', failures: 2 }, 'set aside after maxFailures bad outputs');
  t.ok(sb.lines.some((l) => l.startsWith('ERROR') && l.includes('earshot-plugin-odd-values disabled after 2 failures')));
  t.equal((await host.process(oneWord('acme'))).text, 'ACME', 'jobs still complete');
});

t.test('fields a word should not have are not passed on: the transcript stays serializable', async (t) => {
  const { host } = await startHost(t, ['odd-values']);
  const out = await host.process(oneWord('extra'));
  t.same(out.applied, ['earshot-plugin-odd-values', 'earshot-plugin-shout']);
  t.same(out.words, [{ text: 'EXTRA', start: 0, end: 1 }]);
  t.doesNotThrow(() => JSON.stringify(out));
});

for (const isolation of ['thread', 'inline'] as const) {
  t.test(`output far larger than its input is the plugin's failure, checked before it is used (${isolation})`, async (t) => {
    const { host, sb } = await startHost(t, ['bloating'], { isolation });
    t.match(host.info('bloating'), { state: 'running', failures: 1, error: 'hotwords() returned too many hotwords: 50001, more than the 50000 one provider may give' });
    t.same(host.hotwords(), [{ phrase: 'acme', boost: 2 }], 'the other provider\'s list is used');

    const grown = await host.process({ text: `grow ${'a'.repeat(9995)}`, language: 'en' });
    t.equal(grown.text.length, 100_000, 'ten times a long input is taken');

    const long = await host.process(oneWord('long'));
    t.equal(long.text, 'long');
    t.same(long.applied, ['earshot-plugin-shout']);
    t.match(long.skipped, [{ plugin: 'earshot-plugin-bloating', reason: 'returned too much text: 1000000 characters for an input of 4; the limit is 65536 (10 times the input, at least 65536)' }]);
    t.ok(sb.lines.some((l) => l.startsWith('WARN') && l.includes('plugin earshot-plugin-bloating failed: normalizer call returned too much text')));

    const many = await host.process(oneWord('many'));
    t.equal(many.text, 'many');
    t.match(many.skipped, [{ plugin: 'earshot-plugin-bloating', reason: 'returned too many words: 5000 for an input of 1; the limit is 4096 (10 times the input, at least 4096)' }]);
    t.match(host.info('bloating'), { state: 'failed', failures: 3 }, 'set aside after maxFailures in a row');
    t.equal((await host.process(oneWord('acme'))).text, 'ACME', 'jobs still complete');
  });
}
