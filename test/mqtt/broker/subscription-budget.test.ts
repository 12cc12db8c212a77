import t, { type Test } from 'tap';
import { EmbeddedBroker } from '../../../daemon/mqtt/broker/embedded-broker.js';
import { MAX_FILTERS_PER_CLIENT, MAX_OUTSIDER_FILTER_BYTES } from '../../../daemon/mqtt/broker/subscription-budget.js';
import { LogSink } from '../../../daemon/log/logger.js';
import { rawClient } from '../helpers/raw-client.js';

async function brokerOnFreePort(t: Test) {
  const lines: string[] = [];
  const sink = new LogSink({ level: 'info', format: 'text', write: (line) => lines.push(line) });
  const broker = new EmbeddedBroker({ host: '127.0.0.1', port: 0, passwordFile: null, siteId: 'lab', logger: sink.logger('broker') });
  const { port } = await broker.start();
  t.teardown(() => broker.stop());
  return { port, lines };
}

const filters = (prefix: string, count: number, pad = 0) => Array.from({ length: count }, (_, i) => `${prefix}/${i}/${'x'.repeat(pad)}`);

t.test('a client holds at most MAX_FILTERS_PER_CLIENT subscriptions; it stays connected, and an unsubscribe gives room back', async (t) => {
  const { port, lines } = await brokerOnFreePort(t);
  const client = await rawClient(port, 'many', true);
  t.teardown(() => client.socket.destroy());
  t.equal(await client.granted(filters('many', MAX_FILTERS_PER_CLIENT + 50)), MAX_FILTERS_PER_CLIENT, `${MAX_FILTERS_PER_CLIENT} of ${MAX_FILTERS_PER_CLIENT + 50} granted`);
  t.equal(await client.granted(['many/0/']), 1, 'one it holds is granted again');
  client.send({ cmd: 'unsubscribe', messageId: 60_000, unsubscriptions: filters('many', 10) });
  await client.until((got) => got.some((p) => p.cmd === 'unsuback'), 'the UNSUBACK');
  t.equal(await client.granted(filters('more', 20)), 10, 'ten more after ten unsubscribed');
  t.notOk(client.socket.destroyed, 'still connected');
  t.ok(lines.some((l) => /^WARN .*refused a subscription: other clients may hold at most 1000 filters per client/.test(l)), 'the refusal is logged');
});

t.test('persistent sessions that have gone and fill the room give it up to a new subscriber, the one holding most first; an archiver away with a few filters, and a client connected, keep theirs', async (t) => {
  const { port, lines } = await brokerOnFreePort(t);
  // An archiver with a persistent session, away for now: its two filters and its queue are kept.
  const archiver = await rawClient(port, 'archiver', false);
  t.equal(await archiver.granted(['earshot/lab/transcript/#', 'earshot/lab/status']), 2);
  archiver.socket.destroy();
  // A dashboard connected throughout.
  const dashboard = await rawClient(port, 'dashboard', true);
  t.teardown(() => dashboard.socket.destroy());
  t.equal(await dashboard.granted(filters('dash', 5)), 5);
  // Four persistent ids of 1,000 filters of 2 KB each (nearly the 8 MiB), gone at once.
  const pad = 2000;
  for (let id = 0; id < 4; id++) {
    const client = await rawClient(port, `eve-${id}`, false);
    t.equal(await client.granted(filters(`eve${id}`, MAX_FILTERS_PER_CLIENT, pad)), MAX_FILTERS_PER_CLIENT);
    client.socket.destroy();
  }
  t.notOk(lines.some((l) => l.includes('before its expiry')), 'no session ended while there was room');

  // Home Assistant starting later: the room is full, and gone sessions give theirs up.
  const late = await rawClient(port, 'home-assistant', false);
  t.teardown(() => late.socket.destroy());
  // 200 filters of 2 KB: more than the room left beside the four (8 MiB less about 8,040 KB).
  t.ok(200 * pad > MAX_OUTSIDER_FILTER_BYTES - 4 * MAX_FILTERS_PER_CLIENT * (pad + 12));
  t.equal(await late.granted(filters('ha', 200, pad)), 200, 'a new subscriber gets its filters');
  t.ok(lines.some((l) => /^WARN .*ended the MQTT session of a client away \d+ min before its expiry: other clients' subscriptions are at their limit/.test(l)), 'the early end is logged');
  t.equal(await dashboard.granted(filters('dash', 5)), 5, 'the connected dashboard keeps its filters');
  const back = await rawClient(port, 'archiver', false);
  t.teardown(() => back.socket.destroy());
  t.match(back.got.find((p) => p.cmd === 'connack'), { sessionPresent: true }, "the archiver's session is still there: the sessions that filled the room went first");
  const eve = await rawClient(port, 'eve-0', false);
  t.teardown(() => eve.socket.destroy());
  t.match(eve.got.find((p) => p.cmd === 'connack'), { sessionPresent: false }, 'the session away longest of those holding most was ended');
  const eve3 = await rawClient(port, 'eve-3', false);
  t.teardown(() => eve3.socket.destroy());
  t.match(eve3.got.find((p) => p.cmd === 'connack'), { sessionPresent: true }, 'and only as many as the room needed');
});

t.test('a clean session gives back what its id held', async (t) => {
  const { port } = await brokerOnFreePort(t);
  const first = await rawClient(port, 'eve-0', false);
  t.equal(await first.granted(filters('eve0', MAX_FILTERS_PER_CLIENT)), MAX_FILTERS_PER_CLIENT);
  first.socket.destroy();
  const clean = await rawClient(port, 'eve-0', true);
  t.teardown(() => clean.socket.destroy());
  t.equal(await clean.granted(filters('clean', 10)), 10, 'eve-0 back with a clean session: its old session and its filters are gone');
});
