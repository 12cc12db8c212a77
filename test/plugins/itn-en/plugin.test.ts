/** The English ITN plugin through the SDK: config, languages, and word timestamps. */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestContext } from '@earshot/sdk/testing';
import { isPluginDefinition, type TimedWord } from '@earshot/sdk';
import plugin, { type EnglishItnOptions } from '@earshot/plugin-itn-en';
import { repoRoot } from '../../helpers/paths.js';

/** Words of `text`, each lasting 0.5 s with 0.1 s gaps. */
function timed(text: string): TimedWord[] {
  return text.split(' ').map((w, i) => ({ text: w, start: i * 0.6, end: i * 0.6 + 0.5, confidence: 0.9 }));
}

async function normalizerWith(config: Partial<EnglishItnOptions>) {
  const fake = createTestContext<Partial<EnglishItnOptions>>({ name: '@earshot/plugin-itn-en', config });
  const instance = await plugin.create(fake.context);
  t.teardown(() => fake.stop());
  return instance.normalizer!;
}

t.test('is a plugin definition with an English normalizer', async (t) => {
  t.ok(isPluginDefinition(plugin));
  const n = await normalizerWith({});
  t.same(n.languages, ['en']);
});

t.test('a rewritten span takes the start of its first word and the end of its last', async (t) => {
  const n = await normalizerWith({});
  const words = timed('pay twenty three dollars and fifty cents today');
  const out = await n.normalize({ text: words.map((w) => w.text).join(' '), words, language: 'en' });
  t.equal(out.text, 'pay $23.50 today');
  t.same(out.words!.map((w) => w.text), ['pay', '$23.50', 'today']);
  t.equal(out.words![0]!.start, words[0]!.start);
  t.equal(out.words![1]!.start, words[1]!.start, '$23.50 starts with "twenty"');
  t.equal(out.words![1]!.end, words[6]!.end, '$23.50 ends with "cents"');
  t.same(out.words![2], words[7], '"today" keeps its span');
});

t.test('a rewrite into several words shares the span; punctuation on the last word stays', async (t) => {
  const n = await normalizerWith({});
  const words = timed('on the first of march twenty twenty five.');
  const out = await n.normalize({ text: words.map((w) => w.text).join(' '), words });
  t.equal(out.text, 'on March 1, 2025.');
  t.same(out.words!.map((w) => w.text), ['on', 'March', '1,', '2025.']);
  t.equal(out.words![1]!.start, words[1]!.start, 'the span starts at "the"');
  t.equal(out.words![3]!.end, words[7]!.end, 'and ends with "five."');
});

t.test('an edit inside one word keeps the rest of the word and the word\'s span', async (t) => {
  const n = await normalizerWith({});
  const words = timed('a twenty-dollar bill (fifteen) left');
  const out = await n.normalize({ text: words.map((w) => w.text).join(' '), words });
  t.equal(out.text, 'a 20-dollar bill (15) left');
  t.same(out.words!.map((w) => w.text), ['a', '20-dollar', 'bill', '(15)', 'left']);
  t.same(out.words!.map((w) => [w.start, w.end]), words.map((w) => [w.start, w.end]));
});

t.test('text it does not understand passes through with its words untouched', async (t) => {
  const n = await normalizerWith({});
  const words = timed('one of the best');
  const out = await n.normalize({ text: 'one of the best', words });
  t.equal(out.text, 'one of the best');
  t.same(out.words, words);
});

t.test('when the words do not match the text, only text comes back (the host realigns)', async (t) => {
  const n = await normalizerWith({});
  const out = await n.normalize({ text: 'twenty three people', words: timed('twenty tree people') });
  t.equal(out.text, '23 people');
  t.equal(out.words, undefined);
});

t.test('works on text alone when the model gave no timestamps', async (t) => {
  const n = await normalizerWith({});
  t.same(await n.normalize({ text: 'fifty percent', words: [] }), { text: '50%' });
});

t.test('dateFormat from the config picks the written date style', async (t) => {
  const spoken = { text: 'the first of march twenty twenty five', words: [] };
  t.equal((await (await normalizerWith({ dateFormat: 'ISO' })).normalize(spoken)).text, '2025-03-01');
  t.equal((await (await normalizerWith({ dateFormat: 'DMY' })).normalize(spoken)).text, '1 March 2025');
  t.equal((await (await normalizerWith({ dateFormat: 'MDY' })).normalize(spoken)).text, 'March 1, 2025');
  t.equal((await (await normalizerWith({ dateFormat: 'ISO' })).normalize({ text: 'march first', words: [] })).text, 'March 1');
});

t.test('the shipped config schema names dateFormat with its default', async (t) => {
  const dir = join(repoRoot, 'plugins', 'itn-en');
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { earshot: { configSchema: string } };
  const schema = JSON.parse(readFileSync(join(dir, pkg.earshot.configSchema), 'utf8')) as {
    properties: { dateFormat: { enum: string[]; default: string } };
  };
  t.same(schema.properties.dateFormat.enum, ['MDY', 'DMY', 'ISO']);
  t.equal(schema.properties.dateFormat.default, 'MDY');
});
