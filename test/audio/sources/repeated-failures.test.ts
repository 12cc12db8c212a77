import t from 'tap';
import { RepeatedFailures } from '../../../daemon/audio/sources/repeated-failures.js';

t.test('identical failures: a few in full, then one a minute with the count held back', async (t) => {
  let now = 0;
  const failures = new RepeatedFailures(3, 60_000, () => now);
  const taken = [];
  for (let i = 0; i < 10; i++, now += 1000) taken.push(failures.take('exit 1: connection refused'));
  t.same(taken.map((x) => x.log), [true, true, true, false, false, false, false, false, false, false]);
  t.equal(failures.pending, 7);
  now = 62_000;
  t.same(failures.take('exit 1: connection refused'), { log: true, unlogged: 7 }, 'a minute after the last line, one more with the count');
  t.same(failures.take('exit 1: connection refused'), { log: false, unlogged: 0 });
  t.same(failures.take('exit 2: no such device'), { log: true, unlogged: 1 }, 'a different failure is logged at once');
});
