import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { runCli, startDaemon, waitFor } from '../helpers/daemon-process.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { fixturesDir, tempDir } from '../helpers/paths.js';
import type { JobClaimPayload, JobDonePayload, JobGrantPayload } from '../../daemon/mqtt/payloads/job.js';
import type { FleetOffersList } from '../../daemon/pipeline/fleet-bridge.js';

/**
 * The idle-burst problem (issue #6): a box idle when a burst of offers arrives used to claim
 * up to 32 of them before its first job started, because the scheduler's budget could not see
 * claims held but not started; the other boxes of the group then had nothing to take. Now
 * those claims count against the decided concurrency. One real earshotd (scheduler concurrency
 * 1) offers a burst of recordings to its own group on a real Mosquitto and takes them itself:
 * at no moment may it hold more than one claim that has no result yet.
 */
const JOBS = 5;
const GROUP = 'burst';
const SITE = 'idle-box';

t.test('an idle box hit by a burst of offers holds at most its concurrency in claims', async (t) => {
  const broker = await new Mosquitto({ persistence: false }).start();
  t.teardown(() => broker.stop());

  const clips = tempDir('earshot-burst-');
  const source = readFileSync(join(fixturesDir, 'audio', 'speech-silence-speech.wav'));
  // Different bytes per file (a changed last sample), so each is its own job.
  for (let i = 0; i < JOBS; i++) {
    const clip = Buffer.from(source);
    clip.writeInt16LE(i, clip.length - 2);
    writeFileSync(join(clips, `call-${i}.wav`), clip);
  }

  // Claims that have neither a result nor a refusal yet: what the box holds.
  const open = new Set<string>();
  let maxOpen = 0;
  let claims = 0;
  const watcher = await mqtt.connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
  t.teardown(() => watcher.endAsync(true));
  const done: JobDonePayload[] = [];
  watcher.on('message', (topic, payload) => {
    const body = JSON.parse(payload.toString()) as Record<string, unknown>;
    if (topic.startsWith(`earshot/jobs/${GROUP}/claim/`)) {
      const c = body as unknown as JobClaimPayload;
      claims += 1;
      open.add(`${c.jobId}#${c.attempt}`);
      maxOpen = Math.max(maxOpen, open.size);
    } else if (topic.startsWith(`earshot/jobs/${GROUP}/grant/`)) {
      const g = body as unknown as JobGrantPayload;
      if (!g.granted) open.delete(`${g.jobId}#${g.attempt}`);
    } else if (topic.startsWith(`earshot/jobs/${GROUP}/done/`)) {
      const d = body as unknown as JobDonePayload;
      done.push(d);
      open.delete(`${d.jobId}#${d.attempt}`);
    }
  });
  await watcher.subscribeAsync({ [`earshot/jobs/${GROUP}/+/+`]: { qos: 1 }, [`earshot/jobs/${GROUP}/grant/+/+`]: { qos: 1 } });

  const daemon = await startDaemon({
    siteId: SITE,
    mqtt: { url: broker.url, fleet: { enabled: true, group: GROUP, leaseSec: 60 }, telemetryIntervalSec: 0 },
    vad: { detector: 'energy' },
    model: { dir: join(fixturesDir, 'asr', 'models', 'nemo-ctc'), providers: ['cpu'] },
    scheduler: { tickMs: 100, maxConcurrency: 1 },
  });
  t.teardown(() => {
    daemon.child.kill('SIGTERM');
    return daemon.exited;
  });

  const submit = await runCli(['jobs', 'submit', clips, '--fleet', '--json', '--socket', daemon.socket]);
  t.equal(submit.code, 0, submit.stderr.slice(-500));
  const offered = (JSON.parse(submit.stdout) as { offered: Array<{ id: string }> }).offered.map((o) => o.id).sort();
  t.equal(offered.length, JOBS, 'the whole burst offered at once');

  const early = await runCli(['jobs', 'offers', '--json', '--socket', daemon.socket]);
  const earlyList = JSON.parse(early.stdout) as FleetOffersList;
  t.equal(earlyList.outstanding.length + earlyList.done.length, JOBS, 'every offer is listed, outstanding or done');

  await waitFor(() => new Set(done.map((d) => d.jobId)).size >= JOBS, 25_000, 'a result for every offer');
  t.comment(`${claims} claims for ${JOBS} jobs; at most ${maxOpen} held at once`);
  t.equal(maxOpen, 1, 'never more than one claim held at a time (scheduler concurrency 1)');
  t.same(done.filter((d) => d.status !== 'ok'), [], 'every job ran');
  t.ok(done.every((d) => d.takenBy === SITE));

  const final = await runCli(['jobs', 'offers', '--json', '--socket', daemon.socket]);
  t.equal(final.code, 0, final.stderr);
  const list = JSON.parse(final.stdout) as FleetOffersList;
  t.same(list.outstanding, []);
  t.same(list.done.map((d) => d.id).sort(), offered, 'one recorded result per offered file');
  t.ok(list.done.every((d) => d.status === 'ok' && d.takenBy === SITE && (d.text ?? '').length > 0), 'each with its transcript');
});
