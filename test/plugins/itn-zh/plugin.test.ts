/** The Chinese ITN plugin through the SDK: languages and per-character timestamps. */
import t from 'tap';
import { createTestContext } from '@earshot/sdk/testing';
import { isPluginDefinition, type TimedWord } from '@earshot/sdk';
import plugin from '@earshot/plugin-itn-zh';

/** One character per word, 0.2 s each, as Chinese models time them. */
function timedChars(text: string): TimedWord[] {
  return [...text].map((ch, i) => ({ text: ch, start: i * 0.2, end: i * 0.2 + 0.2 }));
}

async function normalizer() {
  const fake = createTestContext({ name: '@earshot/plugin-itn-zh' });
  const instance = await plugin.create(fake.context);
  t.teardown(() => fake.stop());
  return instance.normalizer!;
}

t.test('is a plugin definition with a Chinese normalizer', async (t) => {
  t.ok(isPluginDefinition(plugin));
  t.same((await normalizer()).languages, ['zh']);
});

t.test('a rewritten number spans the characters it replaced; the rest keep their times', async (t) => {
  const n = await normalizer();
  const words = timedChars('二零二五年三月五日');
  const out = await n.normalize({ text: '二零二五年三月五日', words, language: 'zh' });
  t.equal(out.text, '2025年3月5日');
  t.same(out.words!.map((w) => w.text), ['2025', '年', '3', '月', '5', '日']);
  t.same([out.words![0]!.start, out.words![0]!.end], [words[0]!.start, words[3]!.end], '2025 spans 二零二五');
  t.same(out.words![1], words[4], '年 keeps its time');
  t.same([out.words![2]!.start, out.words![2]!.end], [words[5]!.start, words[5]!.end]);
});

t.test('a decimal takes the span from its first to its last character', async (t) => {
  const n = await normalizer();
  const words = timedChars('长二十三点五米');
  const out = await n.normalize({ text: '长二十三点五米', words });
  t.equal(out.text, '长23.5米');
  t.same(out.words!.map((w) => w.text), ['长', '23.5', '米']);
  t.same([out.words![1]!.start, out.words![1]!.end], [words[1]!.start, words[5]!.end]);
});

t.test('text without numbers comes back unchanged with its words', async (t) => {
  const n = await normalizer();
  const words = timedChars('今天天气很好');
  t.same(await n.normalize({ text: '今天天气很好', words }), { text: '今天天气很好', words });
});

t.test('works on text alone when the model gave no timestamps', async (t) => {
  const n = await normalizer();
  t.same(await n.normalize({ text: '二十三点五', words: [] }), { text: '23.5' });
});
