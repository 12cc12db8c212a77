import t from 'tap';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LogSink, silentLogger } from '../../daemon/log/logger.js';
import { tempDir } from '../helpers/paths.js';
import { FleetOfferStore, jobIdOfOffer, newOfferNonce, offerIdOf, type FleetOfferRecord } from '../../daemon/pipeline/fleet-offer-store.js';
import type { JobResultPayload } from '../../daemon/mqtt/payloads/job.js';
import { PAYLOAD_VERSION } from '../../daemon/mqtt/payloads/status.js';

function offer(id: string, offeredAt: string, round = 1): FleetOfferRecord {
  return { id, input: `/srv/audio/${id}.wav`, offeredAt, round };
}

function done(jobId: string, takenBy: string): JobResultPayload {
  return { v: PAYLOAD_VERSION, jobId, attempt: 1, takenBy, ts: new Date().toISOString(), status: 'ok', result: { text: `text of ${jobId}` } };
}

t.test('offers survive a restart (a new store on the same directory), oldest first', async (t) => {
  const dir = tempDir();
  const first = new FleetOfferStore(dir, silentLogger);
  await first.open();
  await first.add(offer('f-b', '2026-01-01T00:00:02.000Z'));
  await first.add(offer('f-a', '2026-01-01T00:00:01.000Z'));
  await first.add(offer('f-c', '2026-01-01T00:00:03.000Z'));

  const again = new FleetOfferStore(dir, silentLogger);
  await again.open();
  t.same((await again.unfinished()).map((o) => o.id), ['f-a', 'f-b', 'f-c'], 'all three, in offer order');
  t.same((await again.results()).length, 0);
});

t.test('a result replaces its offer on disk and outlives a restart', async (t) => {
  const dir = tempDir();
  const store = new FleetOfferStore(dir, silentLogger);
  await store.open();
  const record = offer('f-a', '2026-01-01T00:00:01.000Z');
  await store.add(record);
  await store.add(offer('f-b', '2026-01-01T00:00:02.000Z'));
  await store.finish({ ...record, finishedAt: '2026-01-01T00:01:00.000Z', done: done('f-a', 'box-2') });
  t.notOk(existsSync(join(dir, 'offers', 'f-a.json')), 'the offer file is gone');
  t.ok(existsSync(join(dir, 'results', 'f-a.json')), 'the result file is there');

  const again = new FleetOfferStore(dir, silentLogger);
  await again.open();
  t.same((await again.unfinished()).map((o) => o.id), ['f-b'], 'only the unfinished offer is left to offer again');
  const result = await again.result('f-a');
  t.equal(result?.done.takenBy, 'box-2');
  t.equal(result?.input, record.input);
  t.equal(await again.result('f-b'), undefined);
});

t.test('a crash between writing the result and removing the offer: the result wins', async (t) => {
  const dir = tempDir();
  const store = new FleetOfferStore(dir, silentLogger);
  await store.open();
  const record = offer('f-a', '2026-01-01T00:00:01.000Z');
  await store.add(record);
  // What finish() leaves after its first step: both files.
  writeFileSync(join(dir, 'results', 'f-a.json'), JSON.stringify({ ...record, finishedAt: '2026-01-01T00:01:00.000Z', done: done('f-a', 'box-3') }));

  const again = new FleetOfferStore(dir, silentLogger);
  await again.open();
  t.same(await again.unfinished(), [], 'not offered again');
  t.notOk(existsSync(join(dir, 'offers', 'f-a.json')), 'the stale offer is cleaned up');
  t.equal((await again.results())[0]?.done.takenBy, 'box-3');
});

t.test('unreadable records are skipped, not fatal, and named once; temp files are not records', async (t) => {
  const dir = tempDir();
  const lines: string[] = [];
  const store = new FleetOfferStore(dir, new LogSink({ level: 'info', format: 'text', syslogPrefix: false, write: (line) => void lines.push(line) }).logger('fleet'));
  await store.open();
  await store.add(offer('f-a', '2026-01-01T00:00:01.000Z'));
  writeFileSync(join(dir, 'offers', 'f-torn.json'), '{"id":"f-to');
  writeFileSync(join(dir, 'offers', 'f-zeros.json'), Buffer.alloc(64));
  writeFileSync(join(dir, 'offers', 'f-x.json.tmp'), '{}');
  t.same((await store.unfinished()).map((o) => o.id), ['f-a']);
  t.same((await store.unfinished()).map((o) => o.id), ['f-a'], 'again');
  const named = lines.filter((l) => l.startsWith('ERROR'));
  t.equal(named.length, 2, 'each damaged file is named once');
  for (const f of ['f-torn.json', 'f-zeros.json']) t.ok(named.some((l) => l.includes(`fleet: ${join(dir, 'offers', f)} cannot be read (`)), f);
});

t.test('each round goes on the wire under an id of its own, <id>.r<round>.<nonce>; the record keeps its id', async (t) => {
  const dir = tempDir();
  const store = new FleetOfferStore(dir, silentLogger);
  await store.open();
  const first = { ...offer('f-a', '2026-01-01T00:00:01.000Z'), nonce: newOfferNonce() };
  t.match(first.nonce, /^[0-9a-f]{12}$/);
  t.equal(offerIdOf(first), `f-a.r1.${first.nonce}`, 'the first round');
  await store.add({ ...first, round: 2, nonce: 'c0ffee00c0de' });
  const [again] = await new FleetOfferStore(dir, silentLogger).unfinished();
  t.equal(again?.round, 2, 'the round is on disk, not only in memory');
  t.equal(offerIdOf(again!), 'f-a.r2.c0ffee00c0de', 'and the nonce');
  t.same(readdirSync(join(dir, 'offers')), ['f-a.json'], 'one file per job, whatever the round');
  // The same file offered again after its result was pruned: a claim or result signed for
  // the earlier offer must not fit the new one.
  const nonces = new Set(Array.from({ length: 1000 }, () => newOfferNonce()));
  t.equal(nonces.size, 1000, 'nonces do not repeat');
  // Records written by an older version have no nonce: their wire ids stay as they were.
  const { nonce: _n, ...old } = first;
  t.equal(offerIdOf(old), 'f-a');
  t.equal(offerIdOf({ ...old, round: 7 }), 'f-a.r7');
  // A taker reads the job's own id back from any of them (its transcript ids rest on it).
  t.same([first, { ...first, round: 2, nonce: 'c0ffee00c0de' }, old, { ...old, round: 7 }].map((r) => jobIdOfOffer(offerIdOf(r))), ['f-a', 'f-a', 'f-a', 'f-a']);
  t.equal(jobIdOfOffer('clip.r2.x'), 'clip.r2.x', 'another shape is taken whole');
});

t.test('prune deletes results past their retention (errors kept longer), also those found at start', async (t) => {
  const dir = tempDir();
  const store = new FleetOfferStore(dir, silentLogger);
  await store.open();
  const day = 86_400_000;
  const now = Date.parse('2026-03-10T00:00:00.000Z');
  const at = (daysAgo: number) => new Date(now - daysAgo * day).toISOString();
  const failed = (jobId: string): JobResultPayload => ({ ...done(jobId, 'box-2'), status: 'error', error: 'not a WAV file' }) as JobResultPayload;
  await store.finish({ ...offer('f-old', at(9)), finishedAt: at(8), done: done('f-old', 'box-2') });
  await store.finish({ ...offer('f-new', at(2)), finishedAt: at(1), done: done('f-new', 'box-2') });
  await store.finish({ ...offer('f-bad', at(9)), finishedAt: at(8), done: failed('f-bad') });
  // A daemon restart: the results are known from disk.
  const again = new FleetOfferStore(dir, silentLogger);
  await again.open();
  t.equal(await again.prune({ doneMs: 7 * day, failedMs: 30 * day }, now), 1, 'one result past its retention');
  t.same(readdirSync(join(dir, 'results')).sort(), ['f-bad.json', 'f-new.json'], 'the done one of 8 days went; the error and the recent one stay');
  t.equal(await again.prune({ doneMs: 7 * day, failedMs: 30 * day }, now), 0, 'nothing more to do');
  t.equal(await again.prune({ doneMs: 7 * day, failedMs: 7 * day }, now), 1, 'a shorter retention for errors takes the error');
  t.same(readdirSync(join(dir, 'results')), ['f-new.json']);
});

t.test('offers and results are written with their format; one a newer release wrote is neither read nor written over', async (t) => {
  const dir = tempDir();
  const store = new FleetOfferStore(dir, silentLogger);
  await store.open();
  await store.add(offer('f-a', '2026-01-01T00:00:01.000Z'));
  t.equal((JSON.parse(readFileSync(join(dir, 'offers', 'f-a.json'), 'utf8')) as { format: number }).format, 1, 'format beside the fields older releases read');
  const newer = JSON.stringify({ format: 2, id: 'f-b', input: { path: '/srv/b.wav' }, finishedAt: '2026-01-01T00:00:02.000Z' });
  writeFileSync(join(dir, 'results', 'f-b.json'), newer);
  t.equal(await store.result('f-b'), undefined, 'not read as this release’s');
  await t.rejects(store.add(offer('f-b', '2026-01-01T00:00:03.000Z')), /fleet job f-b has a record a newer earshotd wrote .*left as it is/);
  await t.rejects(store.finish({ ...offer('f-b', '2026-01-01T00:00:03.000Z'), finishedAt: '2026-01-01T00:00:04.000Z', done: done('f-b', 'here') }), /left as it is/);
  t.equal(readFileSync(join(dir, 'results', 'f-b.json'), 'utf8'), newer);
  t.notOk(existsSync(join(dir, 'offers', 'f-b.json')));
});
