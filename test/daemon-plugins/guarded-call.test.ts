import t from 'tap';
import { describeError, guardedCall } from '../../daemon/plugins/guarded-call.js';
import { stackPathOf } from '../helpers/paths.js';

t.test('values, throws, rejections and timeouts become outcomes', async (t) => {
  t.same(await guardedCall(() => 42, 50), { ok: true, value: 42 });
  t.same(await guardedCall(async () => 'late but in time', 50), { ok: true, value: 'late but in time' });
  t.same(await guardedCall(() => { throw new RangeError('bad'); }, 50), { ok: false, reason: 'threw: bad', at: `${stackPathOf(import.meta.url)}:8:42` }, 'where the error was made');
  t.same(await guardedCall(() => Promise.reject('plain string'), 50), { ok: false, reason: 'rejected: plain string' });
  t.same(await guardedCall(() => new Promise(() => {}), 30), { ok: false, reason: 'timed out after 30 ms', timedOut: true });
});

t.test('a call that blocks the event loop past its limit still counts as timed out', async (t) => {
  const outcome = await guardedCall(() => {
    const end = Date.now() + 40;
    while (Date.now() < end) {
      // a synchronous plugin that takes 40 ms
    }
    return 'done';
  }, 10);
  t.match(outcome, { ok: false, reason: /^timed out: took \d+ ms, limit 10 ms$/ });
});

t.test('a late rejection after the timeout is swallowed, not an unhandled rejection', async (t) => {
  let unhandled = 0;
  const onUnhandled = (): void => void unhandled++;
  process.on('unhandledRejection', onUnhandled);
  t.teardown(() => void process.off('unhandledRejection', onUnhandled));
  const outcome = await guardedCall(() => new Promise((_, reject) => setTimeout(() => reject(new Error('too late')), 30)), 5);
  t.same(outcome, { ok: false, reason: 'timed out after 5 ms', timedOut: true });
  await new Promise((r) => setTimeout(r, 60));
  t.equal(unhandled, 0);
});

t.test('describeError handles what plugins throw', async (t) => {
  t.equal(describeError(new Error('x')), 'x');
  t.equal(describeError(new TypeError()), 'TypeError');
  t.equal(describeError({ code: 7 }), '{"code":7}');
  t.equal(describeError(undefined), 'undefined');
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  t.equal(describeError(cyclic), '[object Object]');
  // neither JSON.stringify nor String() can take these: described, never thrown
  const bare = Object.create(null) as Record<string, unknown>;
  bare.self = bare;
  t.match(describeError(bare), /self/);
  const trap = new Proxy({}, { get: () => { throw new Error('trap'); } });
  t.type(describeError(trap), 'string');
  t.match(await guardedCall(() => { throw bare; }, 50), { ok: false, reason: /^threw: .*self/ }, 'and a call that throws one still gives an outcome');
});
