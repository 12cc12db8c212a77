import t from 'tap';
import { join } from 'node:path';
import { readOutboxStats } from '../../daemon/mqtt/outbox/outbox-stats.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { tempDir } from '../helpers/paths.js';
import { ChildLines, spawnHelper } from './helpers/child.js';
import { archiver, expectAll, idsOf, N } from './helpers/delivery.js';

t.test(`SIGKILL of the producing daemon mid-stream, with the broker gone, then a restart: all ${N} arrive`, async (t) => {
  const broker = await new Mosquitto().start();
  t.teardown(() => broker.stop());
  const sub = await archiver(broker.url, 'archiver-crash');
  t.teardown(() => sub.close());
  const children: ChildLines[] = [];
  t.teardown(() => children.forEach((c) => c.child.kill('SIGKILL')));
  const dataDir = tempDir();
  const run = (from: number, to: number) =>
    children[children.push(new ChildLines(spawnHelper('outbox-producer', [JSON.stringify({ url: broker.url, dataDir, siteId: 'lab-kill', from, to, intervalMs: 5 })]))) - 1]!;

  // 1. Producing with the broker up; the broker goes away mid-stream and the producer keeps
  //    going into its outbox; then it is killed with SIGKILL, some transcripts only on disk.
  const first = run(0, N - 1);
  await first.waitFor(() => first.lastDurable() >= 70, 60_000, 'durable 70');
  await broker.stop();
  const atOutage = first.lastDurable();
  await first.waitFor(() => first.lastDurable() >= atOutage + 40, 20_000, 'durable during the outage');
  first.child.kill('SIGKILL');
  await first.exited();
  const killedAt = first.lastDurable();
  const onDisk = readOutboxStats(join(dataDir, 'outbox'));
  t.ok(onDisk.depth >= 40, `${onDisk.depth} transcripts waiting on disk after the kill`);

  // 2. Broker back, daemon restarted: the leftovers go first, then the rest of the stream.
  await broker.start();
  const second = run(killedAt + 1, N - 1);
  await second.waitFor((l) => l.includes('drained'), 60_000, 'drained');
  t.match(second.lines[0], /^started pending=\d+/);
  t.equal(Number(/pending=(\d+)/.exec(second.lines[0]!)![1]), onDisk.depth, 'restart found exactly the leftovers');
  await second.exited();
  await sub.waitFor(() => new Set(idsOf(sub)).size >= N, 20_000, `${N} transcripts`);
  expectAll(t, sub, 'lab-kill');
  t.equal(readOutboxStats(join(dataDir, 'outbox')).depth, 0, 'outbox empty at the end');
});
