import t, { type Test } from 'tap';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Mosquitto } from '../helpers/mosquitto.js';
import { tempDir } from '../helpers/paths.js';
import { connectTo } from '../mqtt/helpers/connection.js';
import { offeringBridge } from './helpers/offering-bridge.js';
import { fleetTopics, TOPIC_QOS } from '../../daemon/mqtt/topics.js';
import { PAYLOAD_VERSION } from '../../daemon/mqtt/payloads/status.js';
import type { JobClaimPayload, JobDonePayload, JobGrantPayload, JobOfferPayload } from '../../daemon/mqtt/payloads/job.js';

const GROUP = 'pump';
const FILE_BYTES = 1000;

/** The offering daemon's half: a real offerer on its own connection and a bridge over dataDir. */
async function offeringBox(t: Test, url: string, dataDir: string, clientId: string, retention?: { doneMs: number; failedMs: number }) {
  const connection = await connectTo(t, url, clientId);
  // Two files' worth out in the group at once (the pump stops once the sum reaches the limit).
  const { bridge, stop } = await offeringBridge(t, { connection, group: GROUP, dataDir, fleet: { maxAudioBytes: 4096, maxOutstandingBytes: 2 * FILE_BYTES, claimTimeoutSec: 600, maxHeld: 4 }, ...(retention ? { retention } : {}) });
  return { bridge, stop };
}

/**
 * Watches the group's offers topic (not the shared subscription: it sees every offer) and
 * answers as a taker would: claim, wait for the grant, then publish the result (the offerer
 * takes results only from a box it granted the job).
 */
async function groupWatcher(t: Test, url: string) {
  const topics = fleetTopics(GROUP);
  const connection = await connectTo(t, url, 'watcher');
  const seen: JobOfferPayload[] = [];
  const grants = new Set<string>();
  connection.onMessage((topic, payload) => {
    if (topic === topics.offers) seen.push(JSON.parse(payload.toString('utf8')) as JobOfferPayload);
    else if (topic.startsWith(topics.grantWildcard('box-2').slice(0, -1))) {
      const g = JSON.parse(payload.toString('utf8')) as JobGrantPayload;
      if (g.granted) grants.add(`${g.jobId}#${g.attempt}`);
    }
  });
  await connection.subscribe({ [topics.offers]: { qos: 1 }, [topics.grantWildcard('box-2')]: { qos: 1 } });
  return {
    seen,
    async answer(offer: JobOfferPayload) {
      const ts = new Date().toISOString();
      const claim: JobClaimPayload = { v: PAYLOAD_VERSION, jobId: offer.jobId, attempt: offer.attempt, takenBy: 'box-2', ts };
      await connection.publish(topics.claim(offer.jobId), JSON.stringify(claim), TOPIC_QOS.jobClaim);
      await until(`the grant of ${offer.jobId}`, () => grants.has(`${offer.jobId}#${offer.attempt}`));
      const done: JobDonePayload = { v: PAYLOAD_VERSION, jobId: offer.jobId, attempt: offer.attempt, takenBy: 'box-2', ts, status: 'ok', result: { text: `heard ${offer.jobId}` } };
      await connection.publish(topics.done(offer.jobId), JSON.stringify(done), TOPIC_QOS.jobDone);
    },
  };
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Long enough for an offer the pump should not have sent to cross the local broker. */
const settle = () => new Promise((r) => setTimeout(r, 400));

/** The job id a wire id (`<id>.r<round>.<nonce>`) was made from. */
function recordIdOf(wireId: string): string {
  return wireId.split('.')[0]!;
}

t.test('the pump keeps at most maxOutstandingBytes out, releases offers as results arrive, and a restart offers the rest again as <id>.r2.<nonce>', async (t) => {
  const broker = await new Mosquitto().start();
  t.teardown(() => broker.stop());
  const dir = tempDir();
  const dataDir = join(dir, 'hq');
  const paths = Array.from({ length: 5 }, (_, i) => {
    const p = join(dir, `clip-${i}.wav`);
    writeFileSync(p, Buffer.alloc(FILE_BYTES, i + 1));
    return p;
  });
  const watcher = await groupWatcher(t, broker.url);
  const first = await offeringBox(t, broker.url, dataDir, 'hq-1');

  const offered = await first.bridge.offer({ paths });
  t.same(offered.errors, []);
  t.equal(offered.offered.filter((o) => o.created).length, 5, 'all five recorded');
  t.equal(readdirSync(join(dataDir, 'fleet', 'offers')).length, 5, 'on disk before the call returned');
  await until('two offers', () => watcher.seen.length >= 2);
  await settle();
  t.equal(watcher.seen.length, 2, 'the other three wait: two files fill the outstanding limit');
  const listedEarly = (await first.bridge.offers()).outstanding;
  t.equal(listedEarly.length, 5, 'all five are still outstanding for the operator');
  t.same(listedEarly.map((o) => o.state).sort(), ['out', 'out', 'waiting', 'waiting', 'waiting'], 'two out in the group, three waiting on disk');
  t.same(new Set(listedEarly.filter((o) => o.state === 'out').map((o) => o.id)), new Set(watcher.seen.map((o) => recordIdOf(o.jobId))), 'the ones out are the ones the group saw');

  // A result frees its bytes: exactly one more goes out.
  await watcher.answer(watcher.seen[0]!);
  await until('a third offer', () => watcher.seen.length >= 3);
  await settle();
  t.equal(watcher.seen.length, 3);
  const firstWireId = watcher.seen[0]!.jobId;
  const firstId = recordIdOf(firstWireId);
  // Recorded, and the bridge done with it: the file appears before the bridge lets the job go.
  await until('the result recorded', async () => existsSync(join(dataDir, 'fleet', 'results', `${firstId}.json`)) && (await first.bridge.offers()).outstanding.length === 4);
  t.notOk(existsSync(join(dataDir, 'fleet', 'offers', `${firstId}.json`)), 'the result replaced the offer');
  const listed = await first.bridge.offers();
  t.same(
    listed.done.map((d) => ({ id: d.id, takenBy: d.takenBy, status: d.status, text: d.text })),
    [{ id: firstId, takenBy: 'box-2', status: 'ok', text: `heard ${firstWireId}` }],
  );
  t.equal(listed.outstanding.length, 4);
  // Offering the finished file again is the same job, answered from its record.
  const repeat = await first.bridge.offer({ paths: [paths[0]!] });
  t.same(repeat.offered.map((o) => [o.state, o.created]), [['done', false]]);

  // The offering daemon restarts: the four unfinished offers go out again under new wire ids,
  // still two at a time.
  await first.stop();
  const before = watcher.seen.length;
  const second = await offeringBox(t, broker.url, dataDir, 'hq-2');
  await until('two offers after the restart', () => watcher.seen.length >= before + 2);
  await settle();
  const again = watcher.seen.slice(before);
  t.equal(again.length, 2, 'the limit holds after a restart too');
  for (const o of again) t.match(o.jobId, /^f-[0-9a-f]+\.r2\.[0-9a-f]{12}$/, 'a second round has its own wire id');
  for (const o of again) await watcher.answer(o);
  await until('the other two', () => watcher.seen.length >= before + 4);
  for (const o of watcher.seen.slice(before + 2)) await watcher.answer(o);
  await until('every result recorded', () => readdirSync(join(dataDir, 'fleet', 'results')).length === 5);
  await until('no offer left', async () => readdirSync(join(dataDir, 'fleet', 'offers')).length === 0 && (await second.bridge.offers()).outstanding.length === 0);
  const final = await second.bridge.offers();
  t.equal(final.done.length, 5);
  t.same(final.outstanding, []);
  t.same(new Set(final.done.map((d) => d.input)), new Set(paths), 'one result per file, under the file\'s own id');
});

t.test('results older than their retention are deleted; the same file offered after that goes out as a new job under a new wire id', async (t) => {
  const broker = await new Mosquitto().start();
  t.teardown(() => broker.stop());
  const dir = tempDir();
  const dataDir = join(dir, 'hq');
  const path = join(dir, 'clip.wav');
  writeFileSync(path, Buffer.alloc(FILE_BYTES, 7));
  const watcher = await groupWatcher(t, broker.url);
  const hour = 3600_000;
  const box = await offeringBox(t, broker.url, dataDir, 'hq-1', { doneMs: hour, failedMs: 24 * hour });

  await box.bridge.offer({ paths: [path] });
  await until('the offer', () => watcher.seen.length >= 1);
  const firstWireId = watcher.seen[0]!.jobId;
  await watcher.answer(watcher.seen[0]!);
  const resultFile = join(dataDir, 'fleet', 'results', `${recordIdOf(firstWireId)}.json`);
  await until('the result recorded', async () => existsSync(resultFile) && (await box.bridge.offers()).outstanding.length === 0);
  t.same((await box.bridge.offer({ paths: [path] })).offered.map((o) => o.state), ['done'], 'within its retention the result answers a repeat');

  t.equal(await box.bridge.prune(Date.now() + hour / 2), 0, 'half an hour on: kept');
  t.equal(await box.bridge.prune(Date.now() + 2 * hour), 1, 'two hours on: deleted');
  t.notOk(existsSync(resultFile), 'the file is gone');
  t.same((await box.bridge.offers()).done, [], 'and no longer listed');

  const again = await box.bridge.offer({ paths: [path] });
  t.same(again.offered.map((o) => [o.state, o.created]), [['offered', true]], 'the same file is a new job');
  await until('the second offer', () => watcher.seen.length >= 2);
  const secondWireId = watcher.seen[1]!.jobId;
  t.equal(recordIdOf(secondWireId), recordIdOf(firstWireId), 'under the same job id');
  t.not(secondWireId, firstWireId, 'but a wire id of its own, so nothing said about the first offer fits it');
});
