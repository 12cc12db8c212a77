import t, { type Test } from 'tap';
import { writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { runCli, startDaemon } from '../helpers/daemon-process.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { speechClips } from '../helpers/speech-clips.js';
import { fixturesDir, tempDir } from '../helpers/paths.js';
import { loadCommandKey } from '../../daemon/mqtt/commands/command-key.js';
import { readFleetMessage, sealFleetMessage, type FleetKey } from '../../daemon/mqtt/fleet/fleet-signature.js';
import { fleetTopics } from '../../daemon/mqtt/topics.js';
import type { JobDonePayload, JobGrantPayload, JobOfferPayload } from '../../daemon/mqtt/payloads/job.js';
import type { FleetOffersList } from '../../daemon/pipeline/fleet-bridge.js';

/**
 * A box of the fleet group whose key is known but which behaves badly: it claims every offer
 * and answers with results no earshot taker sends. The key says only that a member sent them;
 * the offering box must still record them as failures that say why, and `earshot jobs
 * offers` must go on working and never pass a taker's escape sequences to the terminal.
 */
const GROUP = 'redteam';

/** A real Mosquitto, a real earshotd offering to GROUP with a group key (and no budget to take its own offers), and the key. */
async function offeringDaemon(t: Test) {
  const broker = await new Mosquitto({ persistence: false }).start();
  t.teardown(() => broker.stop());
  const keyFile = join(tempDir('earshot-hostile-member-key-'), 'fleet.key');
  writeFileSync(keyFile, randomBytes(36).toString('base64'), { mode: 0o600 });
  const daemon = await startDaemon({
    siteId: 'offerer',
    mqtt: { url: broker.url, fleet: { enabled: true, group: GROUP, keyFile }, telemetryIntervalSec: 0 },
    vad: { detector: 'energy' },
    model: { dir: join(fixturesDir, 'asr', 'models', 'nemo-ctc'), providers: ['cpu'] },
    // Below idle + one thread: batch work is paused, so this box hands its offers on and the hostile member gets them.
    scheduler: { powerBudgetWatts: 1 },
  });
  t.teardown(() => {
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  });
  return { broker, daemon, fleet: { group: GROUP, key: loadCommandKey(keyFile, { setting: 'test' }) } satisfies FleetKey };
}

/** A member with the key that claims every offer and answers each grant with `answer(n)` for the n-th job. */
async function hostileMember(t: Test, url: string, fleet: FleetKey, answer: (n: number) => Pick<JobDonePayload, 'status'> & Record<string, unknown>) {
  const topics = fleetTopics(GROUP);
  const member = await mqtt.connectAsync(url, { protocolVersion: 5, clientId: 'mallet', reconnectPeriod: 0 });
  t.teardown(() => member.endAsync(true));
  let answered = 0;
  member.on('message', (topic, payload) => {
    if (topic === topics.offers) {
      const read = readFleetMessage<JobOfferPayload>(fleet, 'job', payload);
      if (!('value' in read)) return;
      const claim = { v: 1, jobId: read.value.jobId, attempt: read.value.attempt, takenBy: 'mallet', ts: new Date().toISOString() };
      void member.publishAsync(topics.claim(read.value.jobId), JSON.stringify(sealFleetMessage(fleet, 'job-claim', claim)), { qos: 1 });
      return;
    }
    const grant = JSON.parse(payload.toString()) as JobGrantPayload;
    if (!grant.granted) return;
    const done = { v: 1, jobId: grant.jobId, attempt: grant.attempt, takenBy: 'mallet', ts: new Date().toISOString(), ...answer(answered++) } as JobDonePayload;
    void member.publishAsync(topics.done(grant.jobId), JSON.stringify(sealFleetMessage(fleet, 'job-done', done)), { qos: 1 });
  });
  // Every offer, not one in turn: this member wants them all.
  await member.subscribeAsync({ [topics.offers]: { qos: 1 }, [topics.grantWildcard('mallet')]: { qos: 1 } });
}

t.test('results from a keyed member that are not transcription results are recorded as failures, and jobs offers still lists them', async (t) => {
  const { broker, daemon, fleet } = await offeringDaemon(t);
  const ESCAPES = '\x1b[2J\x1b[32mall jobs done\x1b]0;owned\x07';
  const answers: Array<Pick<JobDonePayload, 'status'> & Record<string, unknown>> = [
    { status: 'ok', result: { text: 12345 } },
    { status: 'ok', result: 'free text' },
    { status: 'ok', result: { text: 'fine', transcripts: [{ id: 7 }] } },
    { status: 'error', error: ESCAPES },
  ];
  await hostileMember(t, broker.url, fleet, (n) => answers[n % answers.length]!);

  const files = speechClips(answers.length, 'earshot-hostile-member-clips-');
  const submit = await runCli(['jobs', 'submit', ...files, '--fleet', '--json', '--socket', daemon.socket]);
  t.equal(submit.code, 0, submit.stderr);
  let list: FleetOffersList | undefined;
  const poll = async () => {
    const r = await runCli(['jobs', 'offers', '--json', '--socket', daemon.socket]);
    return r.code === 0 ? (JSON.parse(r.stdout) as FleetOffersList) : undefined;
  };
  for (const until = Date.now() + 30_000; Date.now() < until && list?.done.length !== answers.length; ) {
    list = await poll();
    await new Promise((r) => setTimeout(r, 300));
  }
  t.equal(list?.done.length, answers.length, 'each job has its one result');
  const errors = (list?.done ?? []).map((d) => [d.status, d.takenBy, d.error]);
  t.ok(
    errors.every(([status, takenBy]) => status === 'error' && takenBy === 'mallet'),
    'each recorded as failed by the member that sent it',
  );
  const messages = errors.map(([, , e]) => String(e)).sort();
  t.match(messages, [/\\u001b\[2J\\u001b\[32mall jobs done\\u001b\]0;owned\\u0007/, /not a transcription result \(result is a string, not an object\)/, /not a transcription result \(result\.text is a number, not a string\)/, /not a transcription result \(result\.transcripts\[0\] is not/]);
  t.ok(messages.every((m) => m.includes('mallet') || m.includes('\\u001b')), 'the malformed ones name the member that sent them');

  const text = await runCli(['jobs', 'offers', '--socket', daemon.socket]);
  t.equal(text.code, 0, `jobs offers works: ${text.stderr}`);
  t.match(text.stdout, /4 finished \(4 failed\)/);
  t.notMatch(text.stdout, /[\x00-\x08\x0b-\x1f\x7f]/, 'nothing a terminal would act on reaches it');
  t.equal(daemon.child.exitCode, null, 'the daemon is still running');
});

t.test('a fleet message bigger than any this box could act on is refused by its length, before it is read', async (t) => {
  const broker = await new Mosquitto({ persistence: false }).start();
  t.teardown(() => broker.stop());
  const keyFile = join(tempDir('earshot-hostile-member-key-'), 'fleet.key');
  writeFileSync(keyFile, randomBytes(36).toString('base64'), { mode: 0o600 });
  // Offers of at most 64 KiB of audio: an offer may have 64 KiB of base64 (87,384 bytes) and 64 KiB of fields around it.
  // MQTT 3.1.1, where the daemon cannot tell the broker its Maximum Packet Size: over MQTT 5
  // Mosquitto drops such a message for it unsent (test/e2e/mqtt-max-packet-announced.test.ts).
  const daemon = await startDaemon({ siteId: 'taker', mqtt: { url: broker.url, protocolVersion: 4, fleet: { enabled: true, group: GROUP, keyFile, maxAudioBytes: 65536 }, telemetryIntervalSec: 0 }, vad: { detector: 'energy' } });
  t.teardown(() => {
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  });
  // Without the key: anyone the broker lets publish on the group's offer topic.
  const stranger = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'stranger', reconnectPeriod: 0 });
  t.teardown(() => stranger.endAsync(true));
  const ts = new Date().toISOString();
  const offer = JSON.stringify({ v: 1, jobId: 'big', offeredBy: 'stranger', attempt: 1, ts, claimBy: ts, job: { kind: 'transcribe', audio: 'A'.repeat(4 << 20) }, sig: '0'.repeat(64) });
  await stranger.publishAsync(fleetTopics(GROUP).offers, offer, { qos: 1 });
  const expected = `offer ignored: ${Buffer.byteLength(offer)} bytes, over the ${Math.ceil(65536 / 3) * 4 + 65536} a job message may have here`;
  for (const until = Date.now() + 10_000; Date.now() < until && !daemon.output().includes(expected); ) await new Promise((r) => setTimeout(r, 100));
  t.match(daemon.output(), expected, 'refused by its size, with the size and the limit, not parsed and found unsigned');
  const status = await runCli(['status', '--json', '--socket', daemon.socket]);
  t.equal(status.code, 0, 'the daemon answers');
});
