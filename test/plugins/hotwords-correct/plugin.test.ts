import t from 'tap';
import { createTestContext } from '@earshot/sdk/testing';
import plugin, { type HotwordsCorrectConfig } from '@earshot/plugin-hotwords-correct';

const config: HotwordsCorrectConfig = { threshold: 0.85, minLength: 4, phrases: ['Kubernetes'], useProviderHotwords: true };

t.test('corrects towards its own phrases and the providers’ hotwords for the language', async (t) => {
  const fake = createTestContext<HotwordsCorrectConfig>({
    name: 'hotwords-correct',
    config,
    hotwords: [
      { phrase: 'Jetson Nano', boost: 2, language: 'en' },
      { phrase: '深圳市', boost: 2, language: 'zh' },
    ],
  });
  const { normalizer } = await plugin.create(fake.context);
  const words = [
    { text: 'a', start: 0, end: 0.2 },
    { text: 'jet', start: 0.2, end: 0.5 },
    { text: 'son', start: 0.5, end: 0.7 },
    { text: 'nano', start: 0.7, end: 1.0 },
  ];
  t.same(await normalizer!.normalize({ text: 'a jet son nano', words, language: 'en' }), { text: 'a Jetson Nano' });
  t.same(await normalizer!.normalize({ text: 'kubernetties', words: [], language: 'en' }), { text: 'Kubernetes' });
  fake.setHotwords([{ phrase: 'Earshot', boost: 1 }]);
  t.same(await normalizer!.normalize({ text: 'ear shot and jet son nano', words: [] }), { text: 'Earshot and jet son nano' }, 'follows hotword list changes');
});

t.test('with useProviderHotwords off, only its own phrases count', async (t) => {
  const fake = createTestContext<HotwordsCorrectConfig>({ config: { ...config, useProviderHotwords: false }, hotwords: [{ phrase: 'Earshot', boost: 1 }] });
  const { normalizer } = await plugin.create(fake.context);
  t.same(await normalizer!.normalize({ text: 'ear shot', words: [] }), { text: 'ear shot' });
});
