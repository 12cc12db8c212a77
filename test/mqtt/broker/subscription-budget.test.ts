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

t.test('subscriptions of persistent sessions that have gone count until they expire: a new client id each time gets no more', async (t) => {
  const { port } = await brokerOnFreePort(t);
  const pad = 2000;
  // Each filter is the pad and up to 12 bytes more (eve9/999/).
  const [fewest, most] = [Math.floor(MAX_OUTSIDER_FILTER_BYTES / (pad + 12)), Math.floor(MAX_OUTSIDER_FILTER_BYTES / pad)];
  let total = 0;
  for (let id = 0; total < fewest && id < 10; id++) {
    const client = await rawClient(port, `eve-${id}`, false);
    total += await client.granted(filters(`eve${id}`, MAX_FILTERS_PER_CLIENT, pad));
    client.socket.destroy();
  }
  t.ok(total >= fewest && total <= most, `${total} 2 KB filters held in all, about the ${MAX_OUTSIDER_FILTER_BYTES / 1024 / 1024} MiB bound`);
  const late = await rawClient(port, 'eve-late', false);
  t.equal(await late.granted(filters('late', 10, pad)), 0, 'a new id gets none of them');
  late.socket.destroy();

  // A clean session gives back what its id held.
  const clean = await rawClient(port, 'eve-0', true);
  t.equal(await clean.granted(filters('clean', 10, pad)), 10, 'eve-0 back with a clean session: its old session and its filters are gone');
  clean.socket.destroy();
});
