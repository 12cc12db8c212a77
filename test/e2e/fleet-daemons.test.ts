import t from 'tap';
import { readFileSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { restartDaemon, runCli, startDaemon, waitFor, type RunningDaemon } from '../helpers/daemon-process.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { fixturesDir, tempDir } from '../helpers/paths.js';
import { callDaemonUntyped } from '../../daemon/control/client.js';
import type { JobDonePayload, JobGrantPayload } from '../../daemon/mqtt/payloads/job.js';
import type { TranscriptPayload } from '../../daemon/mqtt/payloads/transcript.js';
import type { FleetTranscribeResult } from '../../daemon/pipeline/fleet-job.js';
import { readFleetMessage } from '../../daemon/mqtt/fleet/fleet-signature.js';

/**
 * Issue #6, must-show 5: three real earshotd processes in one fleet group on a real
 * Mosquitto share a 60-recording backlog offered by one of them (`earshot jobs submit DIR
 * --fleet`). Halfway through, a taker is SIGKILLed while it holds a job and then restarted.
 * Every job must finish exactly once (one `done` per job, one local completion in all
 * queues together), nothing may be lost, and the killed box must not run its stale copy
 * again after the restart. Then the offering box itself is SIGKILLed right after offering
 * six more: after its restart every one of them finishes (at least once: a taker may finish
 * the old offer while the new one runs elsewhere).
 */
const JOBS = 60;
const GROUP = 'e2e';
const SITES = ['fleet-a', 'fleet-b', 'fleet-c'] as const;

/** A copy of the fixture clip at another gain, so every recording is a different file. */
function variant(source: Buffer, gain: number): Buffer {
  const out = Buffer.from(source);
  const data = out.indexOf('data', 12, 'latin1');
  const size = out.readUInt32LE(data + 4);
  for (let i = data + 8; i + 1 < data + 8 + size; i += 2) out.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(out.readInt16LE(i) * gain))), i);
  return out;
}

function resultOf(d: JobDonePayload): FleetTranscribeResult {
  if (d.status !== 'ok') throw new Error(`${d.jobId} ${d.status} on ${d.takenBy}: ${d.status === 'error' ? d.error : d.reason}`);
  return d.result as FleetTranscribeResult;
}

t.test('three real daemons share a 60-job backlog over Mosquitto; a taker killed mid-job loses nothing and nothing runs twice', async (t) => {
  const broker = await new Mosquitto({ persistence: false }).start();
  t.teardown(() => broker.stop());

  const clips = tempDir('earshot-fleet-clips-');
  const source = readFileSync(join(fixturesDir, 'audio', 'speech-silence-speech.wav'));
  for (let i = 0; i < JOBS; i++) writeFileSync(join(clips, `clip-${String(i).padStart(2, '0')}.wav`), variant(source, 0.5 + (0.5 * i) / JOBS));
  // Recorded a day ago: the takers date the transcripts by the offered file, not by when they ran it.
  const recordedUntilMs = Math.floor(Date.now() / 1000 - 86_400) * 1000;
  for (let i = 0; i < JOBS; i++) utimesSync(join(clips, `clip-${String(i).padStart(2, '0')}.wav`), recordedUntilMs / 1000, recordedUntilMs / 1000);

  // The group signs its messages, as a deployment on a shared broker should.
  const keyFile = join(tempDir('earshot-fleet-key-'), 'fleet.key');
  writeFileSync(keyFile, `${randomBytes(36).toString('base64')}\n`, { mode: 0o600 });
  const config = (siteId: string) => ({
    siteId,
    mqtt: { url: broker.url, fleet: { enabled: true, group: GROUP, leaseSec: 60, keyFile }, telemetryIntervalSec: 0 },
    vad: { detector: 'energy' },
    model: { dir: join(fixturesDir, 'asr', 'models', 'nemo-ctc'), providers: ['cpu'] },
    scheduler: { tickMs: 100 },
  });
  const daemons: RunningDaemon[] = [];
  t.teardown(() => {
    for (const d of daemons) if (d.child.exitCode === null && d.child.signalCode === null) d.child.kill('SIGKILL');
  });
  // The three start side by side, as boxes of a fleet do; each is torn down even if another fails to start.
  const starts = await Promise.allSettled(SITES.map((site) => startDaemon(config(site))));
  for (const s of starts) if (s.status === 'fulfilled') daemons.push(s.value);
  for (const s of starts) if (s.status === 'rejected') throw s.reason;
  const [offerer, victim] = daemons as [RunningDaemon, RunningDaemon, RunningDaemon];

  // A bystander on the broker: every grant, result and transcript, as a dashboard would see them.
  const watcher = await mqtt.connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
  t.teardown(() => watcher.endAsync(true));
  const done: JobDonePayload[] = [];
  const doneAt: number[] = [];
  const grants: JobGrantPayload[] = [];
  const transcripts: TranscriptPayload[] = [];
  watcher.on('message', (topic, payload) => {
    const body = JSON.parse(payload.toString());
    if (topic.startsWith(`earshot/jobs/${GROUP}/done/`)) {
      done.push(body as JobDonePayload);
      doneAt.push(Date.now());
    }
    else if (topic.startsWith(`earshot/jobs/${GROUP}/grant/`)) grants.push(body as JobGrantPayload);
    else if (topic.includes('/transcript/')) transcripts.push(body as TranscriptPayload);
  });
  await watcher.subscribeAsync({ [`earshot/jobs/${GROUP}/done/+`]: { qos: 1 }, [`earshot/jobs/${GROUP}/grant/+/+`]: { qos: 1 }, 'earshot/+/transcript/#': { qos: 1 } });

  const started = Date.now();
  const submit = await runCli(['jobs', 'submit', clips, '--fleet', '--json', '--socket', offerer.socket]);
  t.equal(submit.code, 0, `jobs submit --fleet exits 0: ${submit.stderr.slice(-500)}`);
  const offered = (JSON.parse(submit.stdout) as { offered: Array<{ id: string; created: boolean }> }).offered;
  t.equal(offered.length, JOBS, 'every recording offered');
  t.ok(offered.every((o) => o.created));
  const again = await runCli(['jobs', 'submit', clips, '--fleet', '--json', '--socket', offerer.socket]);
  t.ok((JSON.parse(again.stdout) as { offered: Array<{ created: boolean }> }).offered.every((o) => !o.created), 'offering the same files again adds no job');

  // Halfway, kill the victim at a moment it holds a granted job that is not done yet.
  const victimSite = SITES[1];
  const heldByVictim = () => grants.filter((g) => g.granted && g.takenBy === victimSite && !done.some((d) => d.jobId === g.jobId));
  await waitFor(() => done.length >= JOBS / 2 && heldByVictim().length > 0, 60_000, `half the jobs done and ${victimSite} holding one`);
  const held = heldByVictim().map((g) => ({ jobId: g.jobId, attempt: g.attempt }));
  victim.child.kill('SIGKILL');
  const killedAt = Date.now();
  await victim.exited;
  t.comment(`SIGKILL ${victimSite} after ${done.length} done, ${((Date.now() - started) / 1000).toFixed(1)} s, holding ${held.map((h) => `${h.jobId}#${h.attempt}`).join(', ')}`);
  daemons[1] = await restartDaemon(victim);
  const restartedAt = Date.now();

  await waitFor(() => new Set(done.map((d) => d.jobId)).size >= JOBS, 90_000, 'a result for every job');
  const elapsed = (Date.now() - started) / 1000;
  const sinceKill = doneAt.filter((at) => at > killedAt).map((at) => (at - killedAt) / 1000);
  t.comment(`after the kill: ${sinceKill.filter((x) => x < 5).length} results within 5 s, ${sinceKill.filter((x) => x >= 5).length} later, the last at ${Math.max(0, ...sinceKill).toFixed(1)} s (offers the dead box held unclaimed wait for the offerer's claim timeout)`);
  // Late duplicates would arrive within a moment; give them the chance to show up.
  await new Promise((r) => setTimeout(r, 1500));

  const ids = offered.map((o) => o.id).sort();
  const perJob = new Map<string, JobDonePayload[]>();
  // The wire id is the job id, then the offer round and a nonce (<id>.r<round>.<nonce>).
  const jobIdOf = (wireId: string) => wireId.split('.')[0]!;
  for (const d of done) perJob.set(jobIdOf(d.jobId), [...(perJob.get(jobIdOf(d.jobId)) ?? []), d]);
  t.same([...perJob.keys()].sort(), ids, 'a result for every offered job and for nothing else');
  t.same(ids.filter((id) => perJob.get(id)!.length !== 1), [], 'exactly one done payload per job');
  t.same(done.filter((d) => d.status !== 'ok'), [], 'no job failed');

  const takers = new Map<string, number>();
  for (const d of done) takers.set(d.takenBy, (takers.get(d.takenBy) ?? 0) + 1);
  t.comment(`${JOBS} jobs in ${elapsed.toFixed(1)} s; taken: ${[...takers].map(([s, n]) => `${s} ${n}`).join(', ')}`);
  for (const site of SITES) t.ok((takers.get(site) ?? 0) > 0, `${site} took part of the backlog`);

  // The jobs the victim held were done once: by another box, by the victim just before it
  // died (same attempt), or by the restarted victim as a fresh attempt.
  for (const h of held) {
    const i = done.findIndex((x) => x.jobId === h.jobId);
    const d = done[i]!;
    const ok = d.takenBy !== victimSite || d.attempt === h.attempt || (d.attempt > h.attempt && doneAt[i]! >= restartedAt);
    t.ok(ok, `${h.jobId}: done once, by ${d.takenBy} (attempt ${d.attempt})`);
  }
  const reoffered = done.filter((d) => d.attempt > 1);
  t.ok(reoffered.length >= 1, `the killed box's job was offered again (${reoffered.length} re-offered)`);

  // Every box's own queue completed exactly the jobs it reported: 60 local completions in all.
  // One exception: the victim may have finished its held job locally in the instant before
  // the SIGKILL, before its result went out. That work is then done twice (the job was
  // offered again and done elsewhere), but reported once: at most the held attempts extra.
  let localDone = 0;
  let doneUnreported = 0;
  const lists = await Promise.all(daemons.map((d) => runCli(['jobs', 'list', '--json', '--socket', d.socket])));
  for (const [i, d] of daemons.entries()) {
    const list = lists[i]!;
    t.equal(list.code, 0, list.stderr);
    const jobs = (JSON.parse(list.stdout) as { jobs: Array<{ id: string; state: string }> }).jobs;
    const mine = done.filter((x) => x.takenBy === SITES[i]).map((x) => resultOf(x).localJobId).sort();
    // Only the restarted victim may hold a copy beyond what it reported: its held attempt, dropped at restart or finished just before the kill.
    const stale = i === 1 ? held.map((h) => `${h.jobId}.a${h.attempt}`) : [];
    const localDoneIds = jobs.filter((j) => j.state === 'done').map((j) => j.id);
    const unreported = localDoneIds.filter((id) => !mine.includes(id) && stale.includes(id));
    doneUnreported += unreported.length;
    t.same(localDoneIds.filter((id) => !unreported.includes(id)).sort(), mine, `${SITES[i]}: its queue finished exactly the jobs it reported${unreported.length ? ` (and ${unreported.join(', ')}, finished just before the kill)` : ''}`);
    t.same(jobs.filter((j) => j.state === 'pending' || j.state === 'running'), [], `${SITES[i]}: nothing left in its queue`);
    const failed = jobs.filter((j) => j.state === 'failed').map((j) => j.id);
    t.ok(failed.every((id) => stale.includes(id)), `${SITES[i]}: no failed local job beyond stale attempts (${failed.join(', ') || 'none'})`);
    if (failed.length > 0) t.match(d.output(), /dropped \d+ fleet job file/, `${SITES[i]}: said at restart why the stale copy is dropped`);
    localDone += localDoneIds.length;
  }
  t.equal(localDone - doneUnreported, JOBS, 'all queues together completed each job once, beside the held attempt the kill cut off');

  // The offering box recorded every result, with the transcripts its takers published.
  const record = (await callDaemonUntyped('jobs.offers', {}, { socket: offerer.socket })) as { outstanding: string[]; done: Array<{ id: string; status: string; takenBy: string }> };
  t.same(record.outstanding, [], 'nothing outstanding on the offerer');
  t.same(record.done.map((r) => r.id).sort(), ids, 'the offerer recorded a result for each job');
  // By the job's own id, as the repeats' taker-local job ids are read below: a grant names the wire id (`<job>.r<round>.<nonce>`).
  const staleJobs = new Set(held.map((h) => jobIdOf(h.jobId)));
  const firstById = new Map<string, TranscriptPayload>();
  for (const x of transcripts) if (!firstById.has(x.id)) firstById.set(x.id, x);
  // Delivery is at-least-once. The SIGKILLed victim republishes, after its restart, what its
  // outbox had not seen acknowledged: the same payload under the same id. And a job it held,
  // once done by the next taker, comes again under the ids the victim gave the segments it
  // published: a fleet job's ids are the job's, not the taker's. Subscribers drop either.
  const repeats = transcripts.filter((x, i) => transcripts.findIndex((y) => y.id === x.id) !== i);
  for (const r of repeats) {
    const first = firstById.get(r.id)!;
    // The victim, restarted, may take the held job's next attempt itself: the same segments
    // again under the same ids, from another attempt (another wire job id), so timed anew.
    const victimRedid = r.siteId === victimSite && r.jobId !== first.jobId && staleJobs.has(jobIdOf(r.jobId!));
    if (victimRedid) t.ok(r.text === first.text && r.startOffsetSec === first.startOffsetSec, `repeat of ${r.id}: a segment of a job the victim held, done again by the victim after its restart, with the same words`);
    else if (r.siteId === first.siteId) t.same(r, first, `repeat of ${r.id} by ${r.siteId} is the same payload`);
    else t.ok(first.siteId === victimSite && staleJobs.has(jobIdOf(r.jobId!)) && r.text === first.text && r.startOffsetSec === first.startOffsetSec, `repeat of ${r.id}: a segment of a job the victim held, done again by ${r.siteId}, with the same words`);
  }
  t.same([...new Set(repeats.map((r) => (r.siteId === firstById.get(r.id)!.siteId ? r.siteId : firstById.get(r.id)!.siteId)))].filter((s) => s !== victimSite), [], `only the killed box's transcripts came again (${repeats.length} repeats)`);
  const fleetTimes = transcripts.filter((x) => Date.parse(x.startedAt) > recordedUntilMs || Date.parse(x.startedAt) < recordedUntilMs - 60_000 || Date.parse(x.endedAt) > recordedUntilMs + 1);
  t.same(fleetTimes.map((x) => `${x.recording} ${x.startedAt}–${x.endedAt}`), [], 'every transcript dated within its offered recording (which ended at its file time, a day ago)');
  const group = { group: GROUP, key: Buffer.from(readFileSync(keyFile, 'utf8').trim()) };
  const unsigned = [...done.map((d) => readFleetMessage(group, 'job-done', Buffer.from(JSON.stringify(d)))), ...grants.map((g) => readFleetMessage(group, 'job-grant', Buffer.from(JSON.stringify(g))))].filter((r) => 'problem' in r);
  t.same(unsigned, [], `every grant and result (${grants.length + done.length}) was signed with the group's key`);
  for (const d of done) {
    const r = resultOf(d);
    t.ok(r.transcripts.length >= 1, `${d.jobId}: ${r.transcripts.length} transcripts`);
    for (const tr of r.transcripts) t.ok(transcripts.some((x) => x.id === tr.id && x.siteId === d.takenBy), `${d.jobId}: transcript ${tr.id} published by its taker`);
    for (const tr of r.transcripts) t.match(firstById.get(tr.id)?.recording, /^clip-\d\d\.wav$/, `${d.jobId}: the taker's transcript names the offered recording, not its local copy`);
    const published = transcripts.filter((x) => jobIdOf(x.jobId ?? '') === jobIdOf(d.jobId));
    // The victim may have published the held job's transcripts in the moment before it died:
    // under the ids the next taker gives the same segments.
    const extra = published.filter((x) => !r.transcripts.some((y) => y.id === x.id));
    t.same(extra.map((x) => `${x.siteId} ${x.startOffsetSec}`), [], `${d.jobId}: no transcripts beyond the segments of its one result`);
  }

  // The offering box dies right after offering: its offers are on disk and go out again at restart.
  const more = tempDir('earshot-fleet-more-');
  for (let i = 0; i < 6; i++) writeFileSync(join(more, `late-${i}.wav`), variant(source, 0.4 + i / 100));
  const late = await runCli(['jobs', 'submit', more, '--fleet', '--json', '--socket', offerer.socket]);
  t.equal(late.code, 0, 'six more offered');
  const lateIds = (JSON.parse(late.stdout) as { offered: Array<{ id: string }> }).offered.map((o) => o.id).sort();
  offerer.child.kill('SIGKILL');
  await offerer.exited;
  daemons[0] = await restartDaemon(offerer);
  const offers = () => callDaemonUntyped('jobs.offers', {}, { socket: offerer.socket }) as Promise<{ outstanding: string[]; done: Array<{ id: string; status: string }> }>;
  let after = await offers();
  const lateStarted = Date.now();
  while (lateIds.some((id) => !after.done.some((r) => r.id === id))) {
    if (Date.now() - lateStarted > 60_000) throw new Error(`late jobs not done: ${JSON.stringify(after)}\n${daemons[0]!.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
    after = await offers();
  }
  const lateResults = after.done.filter((r) => lateIds.includes(r.id));
  t.same(lateResults.map((r) => r.status), lateIds.map(() => 'ok'), 'every offer of the killed offerer finished after its restart');
  t.match(daemons[0]!.output(), /offering \d+ fleet job\(s\) again after a restart/, 'the restarted offerer offered its unfinished jobs again');
  const lateDone = done.filter((d) => lateIds.some((id) => d.jobId === id || d.jobId.startsWith(`${id}.r`)));
  t.comment(`offerer killed and restarted: ${lateIds.length} jobs done in ${((Date.now() - lateStarted) / 1000).toFixed(1)} s, ${lateDone.length} done payloads (at least once across an offerer crash)`);

  // A recording too big to travel inside an offer is refused up front, with the way out.
  const big = join(tempDir('earshot-fleet-big-'), 'long-meeting.wav');
  writeFileSync(big, '');
  truncateSync(big, 17 * 1024 * 1024);
  const refused = await runCli(['jobs', 'submit', big, '--fleet', '--socket', offerer.socket]);
  t.equal(refused.code, 1, 'nothing offered');
  // oclif wraps warnings to the terminal width behind '›' gutters.
  t.match(refused.stderr.replace(/[\s›]+/g, ' '), /long-meeting\.wav: 17825792 bytes is over the fleet limit of 16777216 bytes .*submit it without --fleet/, 'the refusal names the file, the limit and the way out');

  for (const d of daemons) d.child.kill('SIGTERM');
  for (const d of daemons) t.equal(await d.exited, 0, d.output().slice(-1500));
  t.ok(elapsed < 90, `backlog done in ${elapsed.toFixed(1)} s`);
});
