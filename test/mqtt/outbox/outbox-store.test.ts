import t from 'tap';
import { appendFileSync, readFileSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { OutboxStore } from '../../../daemon/mqtt/outbox/outbox-store.js';
import { readOutboxStats } from '../../../daemon/mqtt/outbox/outbox-stats.js';
import { LogSink, silentLogger } from '../../../daemon/log/logger.js';
import { tempDir } from '../../helpers/paths.js';

function entry(i: number, size = 100) {
  return { id: `id-${i}`, topic: `earshot/s/transcript/m`, payload: JSON.stringify({ i, pad: 'p'.repeat(size) }), qos: 1 as const, retain: false };
}

function captureLogger() {
  const lines: string[] = [];
  const logger = new LogSink({ level: 'debug', format: 'text', write: (l) => lines.push(l), syslogPrefix: false }).logger('outbox');
  return { lines, logger };
}

t.test('appended entries survive a reopen in order; acked ones do not; duplicates are not added', async (t) => {
  const dir = tempDir();
  const first = captureLogger();
  const a = new OutboxStore({ dir, maxBytes: 1 << 20, maxAgeMs: 0, logger: first.logger });
  await a.open();
  for (let i = 0; i < 10; i++) t.equal(await a.append(entry(i)), true);
  t.equal(await a.append(entry(3)), false, 'same id again is not added');
  a.ack('id-0');
  a.ack('id-4');
  a.ack('id-unknown');
  await a.close();
  t.match(first.lines.join('\n'), /INFO  earshot:outbox outbox: messages the broker has not acknowledged stay for the next run depth=8/, 'the close says what stays');

  const second = captureLogger();
  const b = new OutboxStore({ dir, maxBytes: 1 << 20, maxAgeMs: 0, logger: second.logger });
  await b.open();
  t.same([...b.entries()].map((e) => e.id), ['id-1', 'id-2', 'id-3', 'id-5', 'id-6', 'id-7', 'id-8', 'id-9']);
  t.equal([...b.entries()][0]!.payload, entry(1).payload, 'payload bytes preserved');
  for (const e of [...b.entries()]) b.ack(e.id);
  await b.close();
  t.notMatch(second.lines.join('\n'), /stay for the next run/, 'nothing said when all was acknowledged');
  t.equal(statSync(join(dir, 'outbox.log')).size, 0, 'fully delivered log is truncated');
});

t.test('concurrent appends are grouped and all durable', async (t) => {
  const dir = tempDir();
  const s = new OutboxStore({ dir, maxBytes: 1 << 24, maxAgeMs: 0, logger: silentLogger });
  await s.open();
  await Promise.all(Array.from({ length: 200 }, (_, i) => s.append(entry(i))));
  t.equal(s.depth, 200);
  // Read the file as another process would, without the store's help.
  const stats = readOutboxStats(dir);
  t.equal(stats.depth, 200);
  t.equal(stats.oldest?.id, 'id-0');
  await s.close();
});

t.test('a torn last record is skipped with a log line, the file repaired, earlier records kept', async (t) => {
  const dir = tempDir();
  const s = new OutboxStore({ dir, maxBytes: 1 << 20, maxAgeMs: 0, logger: silentLogger });
  await s.open();
  for (let i = 0; i < 3; i++) await s.append(entry(i));
  await s.close();
  const path = join(dir, 'outbox.log');
  const size = statSync(path).size;
  truncateSync(path, size - 7); // a crash in the middle of writing record 3

  const { lines, logger } = captureLogger();
  const r = new OutboxStore({ dir, maxBytes: 1 << 20, maxAgeMs: 0, logger });
  await r.open();
  t.same([...r.entries()].map((e) => e.id), ['id-0', 'id-1']);
  t.match(lines.join('\n'), /WARN  earshot:outbox outbox: torn last record skipped .* offset=\d+ bytes=\d+/);
  await r.append(entry(9));
  await r.close();

  const again = new OutboxStore({ dir, maxBytes: 1 << 20, maxAgeMs: 0, logger: silentLogger });
  await again.open();
  t.same([...again.entries()].map((e) => e.id), ['id-0', 'id-1', 'id-9'], 'records appended after the repair are readable');
  t.equal(again.stats().damagedBytes, 0);
  await again.close();

  // Garbage appended by hand (not a record) is detected by the read-only reader too.
  appendFileSync(path, Buffer.from('garbage!'));
  t.equal(readOutboxStats(dir).damagedBytes, 8);
});

t.test('the byte bound drops the oldest, logs and counts it, and the count survives restarts', async (t) => {
  const dir = tempDir();
  const { lines, logger } = captureLogger();
  const one = Buffer.byteLength(entry(0, 1000).payload);
  const dropped: string[] = [];
  const s = new OutboxStore({ dir, maxBytes: one * 5 + 10, maxAgeMs: 0, logger });
  await s.open();
  s.onDrop((e, reason) => dropped.push(`${e.id}:${reason}`));
  for (let i = 0; i < 8; i++) await s.append(entry(i, 1000));
  t.equal(s.depth, 5);
  t.same([...s.entries()].map((e) => e.id), ['id-3', 'id-4', 'id-5', 'id-6', 'id-7']);
  t.same(dropped, ['id-0:max-bytes', 'id-1:max-bytes', 'id-2:max-bytes']);
  t.match(lines.join('\n'), /outbox: dropped 1 undelivered message\(s\) \(max-bytes\).*totalDropped=3/);
  await s.close();

  const stats = readOutboxStats(dir);
  t.match(stats, { depth: 5, drops: { count: 3, bytes: one * 3, byReason: { 'max-bytes': 3 } } });
  const drops = JSON.parse(readFileSync(join(dir, 'drops.json'), 'utf8')) as { format: number; count: number };
  t.equal(drops.count, 3);
  t.equal(drops.format, 1, 'with its format, beside the counts');

  const r = new OutboxStore({ dir, maxBytes: one * 5 + 10, maxAgeMs: 0, logger: silentLogger });
  await r.open();
  t.same([...r.entries()].map((e) => e.id), ['id-3', 'id-4', 'id-5', 'id-6', 'id-7'], 'drops are durable too');
  t.equal(r.stats().drops.count, 3);
  await r.close();
});

t.test('the age bound drops entries older than maxAge', async (t) => {
  const dir = tempDir();
  const s = new OutboxStore({ dir, maxBytes: 1 << 20, maxAgeMs: 60_000, logger: silentLogger });
  await s.open();
  const now = Date.now();
  await s.append({ ...entry(0), at: now - 120_000 });
  await s.append({ ...entry(1), at: now - 90_000 });
  await s.append({ ...entry(2), at: now - 1000 });
  t.equal(s.expire(now), 2);
  t.same([...s.entries()].map((e) => e.id), ['id-2']);
  t.match(s.stats(now), { drops: { count: 2, byReason: { 'max-age': 2 } }, oldest: { id: 'id-2', ageSec: 1 } });
  await s.close();
});

t.test('a log much bigger than what is pending is compacted', async (t) => {
  const dir = tempDir();
  const s = new OutboxStore({ dir, maxBytes: 1 << 24, maxAgeMs: 0, logger: silentLogger });
  await s.open();
  await s.append(entry(-1, 100)); // stays pending, so the log is never simply truncated
  for (let i = 0; i < 150; i++) {
    await s.append(entry(i, 10_000));
    s.ack(`id-${i}`);
  }
  await s.append(entry(999, 10)); // flush queued acks, then the compaction check
  await s.close();
  const size = statSync(join(dir, 'outbox.log')).size;
  t.ok(size < 1024 * 1024, `log compacted to ${size} bytes`);
  const r = new OutboxStore({ dir, maxBytes: 1 << 24, maxAgeMs: 0, logger: silentLogger });
  await r.open();
  t.same([...r.entries()].map((e) => e.id), ['id--1', 'id-999']);
  await r.close();
});

t.test('an outbox directory that cannot be created fails with the path and a hint', async (t) => {
  const dir = tempDir();
  const blocker = join(dir, 'not-a-dir');
  appendFileSync(blocker, 'x');
  const s = new OutboxStore({ dir: join(blocker, 'outbox'), maxBytes: 1 << 20, maxAgeMs: 0, logger: silentLogger });
  await t.rejects(s.open(), /cannot open the MQTT outbox in .*not-a-dir\/outbox: .*ENOTDIR.*must be able to write dataDir/);
});
