import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { RateLimit } from '../../daemon/log/rate-limit.js';

t.test('a burst passes, a flood is cut, and the bucket refills with time', async (t) => {
  let now = 0;
  const limit = new RateLimit(10, 5, () => now);
  const passed = Array.from({ length: 8 }, () => limit.take()).filter(Boolean).length;
  t.equal(passed, 5, 'the burst');
  t.equal(limit.takeDropped(), 3, 'the rest counted as dropped');
  t.equal(limit.takeDropped(), 0, 'and reported once');
  now += 300; // 3 tokens back at 10/s
  t.equal(Array.from({ length: 5 }, () => limit.take()).filter(Boolean).length, 3);
  now += 10_000;
  t.equal(Array.from({ length: 9 }, () => limit.take()).filter(Boolean).length, 5, 'never more than the burst');
});

t.test('drops are reported after the flood even when nothing follows it', async (t) => {
  const limit = new RateLimit(1, 1);
  const reports: number[] = [];
  for (let i = 0; i < 10; i++) if (!limit.take()) limit.reportDrops((n) => reports.push(n), 50);
  t.same(reports, [], 'not while dropping');
  await sleep(120);
  t.same(reports, [9], 'one report with the count');
});
