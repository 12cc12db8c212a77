import t from 'tap';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { runCli, startDaemon, waitFor } from '../helpers/daemon-process.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { fixturesDir, tempDir } from '../helpers/paths.js';
import { mutate, prng } from '../helpers/mutate.js';
import { dropRecording } from '../helpers/faults.js';
import { callDaemonUntyped } from '../../daemon/control/client.js';
import { signCommand } from '../../daemon/mqtt/commands/signature.js';
import type { JobOfferPayload } from '../../daemon/mqtt/payloads/job.js';
import type { TranscriptPayload } from '../../daemon/mqtt/payloads/transcript.js';
import { WARNING_BURST, WARNINGS_PER_SECOND } from '../../daemon/log/throttled-warnings.js';

/**
 * Issue #9, bad input from the network: a client on the broker sends garbage and mutated
 * copies of real messages to every topic a real earshotd listens on — fleet offers, claims,
 * grants and results (for job ids it really offered), signed-command topics, the carbon
 * intensity topic and other sites' status — for a few seconds. The daemon must keep its
 * PID, answer on its control socket, and still transcribe and deliver a recording.
 * `SEED=<n>` replays a run.
 */
const seed = Number(process.env.SEED ?? Date.now() % 100_000);
const GROUP = 'hostile';
const SITE = 'target';
const KEY = 'hostile-test-shared-key-0123456789abcdef';
/**
 * Rate-limited warning families a message on these topics can hit (throttledWarnings): fleet
 * offerer and worker, remote command refusals and failures, carbon readings, MQTT handlers.
 */
const THROTTLES_ON_MQTT_INPUT = 6;
const GARBAGE = ['null', '[]', '1', '-1e999', '"x"', '{}', 'not json', '{"__proto__":{"polluted":1}}', '['.repeat(10_000)].map((s) => Buffer.from(s));

t.test(`garbage on every topic the daemon subscribes to leaves it serving (seed ${seed})`, async (t) => {
  const broker = await new Mosquitto({ persistence: false }).start();
  t.teardown(() => broker.stop());
  const root = tempDir('earshot-hostile-');
  const spool = join(root, 'spool');
  const clips = join(root, 'clips');
  mkdirSync(spool);
  mkdirSync(clips);
  const keyFile = join(root, 'cmd.key');
  writeFileSync(keyFile, KEY);
  chmodSync(keyFile, 0o600);
  const clip = readFileSync(join(fixturesDir, 'audio', 'speech-silence-speech.wav'));
  // Enough jobs that some are still out while the attack runs (the daemon takes its own too).
  for (let i = 0; i < 40; i++) writeFileSync(join(clips, `clip-${i}.wav`), Buffer.concat([clip, Buffer.alloc(i * 2)]));

  const daemon = await startDaemon({
    siteId: SITE,
    mqtt: { url: broker.url, fleet: { enabled: true, group: GROUP, leaseSec: 60 }, commands: { enabled: true, keyFile, maxSkewSec: 600 }, telemetryIntervalSec: 0 },
    sources: [{ id: 'spool', type: 'spool', dir: spool, settleMs: 200, pollMs: 200 }],
    vad: { detector: 'energy' },
    model: { dir: join(fixturesDir, 'asr', 'models', 'nemo-ctc'), providers: ['cpu'] },
    scheduler: { tickMs: 100, carbon: { source: 'mqtt', mqttTopic: 'earshot/grid/intensity' } },
  });
  t.teardown(() => {
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  });
  const pid = daemon.child.pid;

  const mallory = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'mallory', reconnectPeriod: 0 });
  t.teardown(() => mallory.endAsync(true));
  // Mallory learns real job ids the way an intruder would: by listening to the offers.
  const offers: JobOfferPayload[] = [];
  mallory.on('message', (_topic, payload) => {
    try {
      offers.push(JSON.parse(payload.toString()) as JobOfferPayload);
    } catch {
      // its own garbage on the offer topic comes back too
    }
  });
  await mallory.subscribeAsync(`earshot/jobs/${GROUP}`, { qos: 1 });
  const submit = await runCli(['jobs', 'submit', clips, '--fleet', '--json', '--socket', daemon.socket]);
  t.equal(submit.code, 0, `jobs submit --fleet: ${submit.stderr.slice(-300)}`);
  await waitFor(() => offers.some((o) => typeof o?.jobId === 'string'), 10_000, 'the daemon to offer its jobs');
  const jobIds = [...new Set(offers.filter((o) => typeof o?.jobId === 'string').map((o) => o.jobId))];
  const inFlight = (await callDaemonUntyped('jobs.offers', {}, { socket: daemon.socket, timeoutMs: 5000 })) as { outstanding: unknown[] };
  t.ok(inFlight.outstanding.length > 0, `the attack meets offers still in flight (${inFlight.outstanding.length}), so their claims and results are checked, not just unknown`);

  const ts = () => new Date().toISOString();
  const real = (jobId: string) => [
    { topic: `earshot/jobs/${GROUP}/claim/${jobId}`, body: { v: 1, jobId, attempt: 1, takenBy: 'mallory', ts: ts() } },
    { topic: `earshot/jobs/${GROUP}/grant/${SITE}/${jobId}`, body: { v: 1, jobId, attempt: 1, takenBy: SITE, granted: true, ts: ts() } },
    { topic: `earshot/jobs/${GROUP}/done/${jobId}`, body: { v: 1, jobId, attempt: 1, takenBy: 'mallory', ts: ts(), status: 'ok', result: { text: 'forged' } } },
    { topic: `earshot/jobs/${GROUP}`, body: { ...offers[0], jobId: `${jobId}-x`, offeredBy: 'mallory' } },
    { topic: `earshot/${SITE}/cmd/status`, body: signCommand(Buffer.from(KEY), SITE, 'status', {}) },
    { topic: `earshot/${SITE}/cmd/jobs.submit`, body: signCommand(Buffer.from(KEY), SITE, 'jobs.submit', { paths: ['../../etc/passwd'] }) },
    { topic: 'earshot/grid/intensity', body: { gPerKWh: 210, forecast: [{ at: ts(), gPerKWh: 180 }] } },
    { topic: 'earshot/other-site/status', body: { v: 1, state: 'offline', ts: ts() } },
  ];
  const rand = prng(seed);
  let sent = 0;
  const attackStart = Date.now();
  const until = attackStart + 4000;
  while (Date.now() < until) {
    const jobId = jobIds[Math.floor(rand() * jobIds.length)]!;
    // A round's messages at once, as a flood would come: the pace is the broker's, not one round trip each.
    const round = real(jobId).map(({ topic, body }) => ({ topic, bytes: rand() < 0.2 ? GARBAGE[Math.floor(rand() * GARBAGE.length)]! : mutate(Buffer.from(JSON.stringify(body)), rand) }));
    await Promise.all(round.map(({ topic, bytes }) => mallory.publishAsync(topic, bytes, { qos: 1 })));
    sent += round.length;
  }
  t.comment(`${sent} hostile messages on ${real('x').length} topics`);
  // A last round trip through the broker: all of the above has been delivered by now.
  await mallory.publishAsync(`earshot/${SITE}/cmd/status`, 'end', { qos: 1 });
  await new Promise((r) => setTimeout(r, 1000));
  const attackSec = Math.ceil((Date.now() - attackStart) / 1000);

  t.equal(daemon.child.exitCode, null, 'the daemon is still running');
  t.equal(daemon.child.pid, pid, 'with the same PID');
  const status = (await callDaemonUntyped('status', {}, { socket: daemon.socket, timeoutMs: 5000 })) as { state?: string };
  t.ok(status && typeof status === 'object', 'it answers on its control socket');

  // And it still does its job: a recording dropped now is transcribed and delivered.
  const watcher = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  t.teardown(() => watcher.endAsync(true));
  const transcripts: TranscriptPayload[] = [];
  watcher.on('message', (_topic, payload) => transcripts.push(JSON.parse(payload.toString()) as TranscriptPayload));
  await watcher.subscribeAsync(`earshot/${SITE}/transcript/#`, { qos: 1 });
  dropRecording(spool, 'after.wav', clip, Math.floor(Date.now() / 1000));
  await waitFor(() => transcripts.some((tr) => tr.recording === 'after.wav'), 30_000, 'a transcript of the recording dropped after the attack');
  t.pass('a recording dropped after the attack was transcribed and delivered');
  const complaints = daemon.output().split('\n').filter((l) => /ignored|refused|could not be handled/.test(l));
  t.ok(complaints.length > 0, 'the bad messages were logged as ignored or refused');
  // Their senders set the pace: the journal gets a burst and then a count, not one line each.
  // The bound is the throttles' budget over the attack, whatever pace this box sent at.
  const budget = THROTTLES_ON_MQTT_INPUT * (WARNING_BURST + (WARNINGS_PER_SECOND + 1) * attackSec);
  t.ok(sent > budget, `the flood (${sent} messages) outnumbers what the log may say in ${attackSec} s (${budget} lines), so the next check can fail`);
  t.ok(complaints.length <= budget, `the log was not flooded (${complaints.length} lines for ${sent} messages in ${attackSec} s)`);
  t.match(daemon.output(), /not logged in the last second \(rate limited\)/, 'what was left out is counted');
  t.notMatch(daemon.output(), /uncaught exception/, 'no uncaught exception');
});
