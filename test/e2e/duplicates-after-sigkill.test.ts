import t from 'tap';
import { copyFileSync, readdirSync, renameSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { readOutboxStats } from '../../daemon/mqtt/outbox/outbox-stats.js';
import { restartDaemon, startDaemon, waitFor } from '../helpers/daemon-process.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { fixturesDir, tempDir } from '../helpers/paths.js';
import { spoolPipelineConfig } from '../helpers/pipeline-config.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

/**
 * What a subscriber sees of at-least-once delivery (schemas/README.md, "Delivery"): the
 * broker delivered a daemon's transcripts but their PUBACKs never came back, and the daemon
 * was killed. The next start sends them again from the outbox: the subscriber gets each one
 * twice, byte for byte the same, and keeping one per id leaves exactly the first set.
 */
t.test('transcripts delivered but not acknowledged before a SIGKILL come again after the restart, byte-identical, and de-duplicate by id', async (t) => {
  const broker = await new Mosquitto({ persistence: false }).start();
  t.teardown(() => broker.stop());
  const proxy = await new TcpProxy(broker.port).start();
  t.teardown(() => proxy.stop());

  const subscriber = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  t.teardown(() => subscriber.end(true));
  const received: Array<{ topic: string; payload: string }> = [];
  subscriber.on('message', (topic, payload) => received.push({ topic, payload: payload.toString() }));
  await subscriber.subscribeAsync('earshot/dups/transcript/#', { qos: 1 });

  const spool = tempDir('earshot-e2e-dups-spool-');
  const dataDir = join(tempDir('earshot-e2e-dups-data-'), 'data');
  const first = await startDaemon(spoolPipelineConfig({ siteId: 'dups', spool, brokerUrl: proxy.url, dataDir }));
  t.teardown(() => {
    if (first.child.exitCode === null && first.child.signalCode === null) first.child.kill('SIGKILL');
  });
  await waitFor(() => /MQTT connected|connected to MQTT/i.test(first.output()), 20_000, 'the daemon to connect');

  // From here the broker hears the daemon but the daemon hears nothing back: no PUBACK.
  t.equal(proxy.dropReplies(), 1, "the daemon's one connection loses the broker's replies");
  // Recorded a minute apart: copies of one recording with the same times would be one speech.
  for (const [i, name] of ['one.wav', 'two.wav'].entries()) {
    copyFileSync(join(fixturesDir, 'audio', 'speech-silence-speech.wav'), join(spool, `${name}.part`));
    const recordedAt = new Date(Date.now() - (2 - i) * 60_000);
    utimesSync(join(spool, `${name}.part`), recordedAt, recordedAt);
    renameSync(join(spool, `${name}.part`), join(spool, name));
  }
  // Two recordings of two speech segments each (speech-silence-speech.json).
  const expected = 4;
  await waitFor(() => received.length >= expected, 60_000, `${expected} transcripts at the subscriber`);
  const firstCopies = received.splice(0);
  t.equal(new Set(firstCopies.map((m) => idOf(m.payload))).size, expected, `${expected} distinct ids delivered the first time`);
  const outbox = join(dataDir, 'outbox');
  t.equal(readOutboxStats(outbox).depth, expected, 'all of them still in the outbox, unacknowledged');
  // A job writes its transcripts to the outbox before it is recorded done: killed between the
  // two, it runs again after the restart, and its copies come with a new ts (another path,
  // documented beside this one). Here every job is recorded done first.
  const pending = join(dataDir, 'queue', 'pending');
  await waitFor(() => readdirSync(pending).length === 0, 30_000, 'every job recorded done');

  first.child.kill('SIGKILL');
  await first.exited;

  // systemd starts it again; the path to the broker works both ways now.
  const second = await restartDaemon(first);
  t.teardown(() => {
    if (second.child.exitCode === null && second.child.signalCode === null) second.child.kill('SIGKILL');
  });
  await waitFor(() => received.length >= expected, 30_000, 'the copies sent again after the restart');
  await waitFor(() => readOutboxStats(outbox).depth === 0, 10_000, 'the outbox to drain');
  // A moment for anything beyond the expected copies (a job run again would add more).
  await new Promise((r) => setTimeout(r, 1000));
  const again = received.splice(0);

  t.equal(again.length, expected, 'each transcript arrives once more, no other');
  const byId = new Map(firstCopies.map((m) => [idOf(m.payload), m]));
  for (const copy of again) {
    const original = byId.get(idOf(copy.payload));
    t.ok(original, `the copy ${idOf(copy.payload)} has an id delivered before`);
    t.equal(copy.topic, original?.topic, 'on the same topic');
    t.equal(copy.payload, original?.payload, 'byte for byte the same payload, ts included');
  }
  const deduped = new Map([...firstCopies, ...again].map((m) => [idOf(m.payload), m.payload]));
  t.same([...deduped.keys()].sort(), [...byId.keys()].sort(), 'after dropping repeats by id, exactly the first set');

  second.child.kill('SIGTERM');
  t.equal(await second.exited, 0);
});

function idOf(payload: string): string {
  return (JSON.parse(payload) as { id: string }).id;
}
