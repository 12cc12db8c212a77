/** The Chinese normalizer on random mixes of numerals, units and context characters. */
import t from 'tap';
import { normalizeChinese } from '@earshot/plugin-itn-zh';
import { fuzzNormalizer } from '../itn-en/suite.js';

const PIECES = [
  ...'零〇一幺二两三四五六七八九十百千万亿',
  '点', '分之', '百分之', '年', '月', '日', '号', '元', '块', '毛', '角', '钱', '第', '负', '零下', '下午', '钟',
  '半', '一刻', '公里', '度', '个', '几', '的', '是', '电话', '摄氏度', '千瓦时', '米', '九牛一毛', 'a', ' ', '，',
  '萬', '億', '兩', '點', '塊', '錢', '號', '鐘', '個', '後',
];

t.test('random spoken texts: no throw, no garbage, idempotent', async (t) => {
  fuzzNormalizer(t, (text) => normalizeChinese(text), PIECES, '');
});

t.test('text without numerals is returned as it is', async (t) => {
  for (const text of ['今天天气很好', '我们明天见。', 'hello 世界', '', '点分之年月日号元块钱']) t.equal(normalizeChinese(text), text);
});
