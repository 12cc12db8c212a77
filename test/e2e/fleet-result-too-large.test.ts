import t from 'tap';
import { join } from 'node:path';
import { waitFor } from '../helpers/daemon-process.js';
import { startFleetTaker } from '../helpers/fleet-taker.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { tempDir } from '../helpers/paths.js';
import { writeLongRecording } from '../helpers/long-recording.js';
import { connectTo } from '../mqtt/helpers/connection.js';
import { offeringBridge } from '../pipeline/helpers/offering-bridge.js';
import { LogSink } from '../../daemon/log/logger.js';
import { fleetTopics } from '../../daemon/mqtt/topics.js';
import type { JobDonePayload } from '../../daemon/mqtt/payloads/job.js';

const GROUP = 'bigresult';
/**
 * The taker's mqtt.maxPacketBytes: its transcripts (one segment each) fit, the result of a
 * long recording (every segment's text, twice) does not. The offerer has no such limit, so
 * its offer (the audio) reaches the taker.
 */
const TAKER_MAX_PACKET = 2500;
const LEASE_MS = 5000;

/**
 * A taker whose result is over the most the broker takes (as the taker knows it) sends its
 * offerer a small error saying so: the job ends there, failed with the limit named, instead
 * of being offered again at each lease to boxes that fail the same way.
 */
t.test('a fleet result too large for the broker ends the job with an error naming the limit, not re-offered', async (t) => {
  const broker = await new Mosquitto({ persistence: false }).start();
  t.teardown(() => broker.stop());
  const dir = tempDir('earshot-fleet-bigresult-');
  const recording = join(dir, 'long-call.wav');
  const segments = await writeLongRecording(recording, 10);

  const taker = await startFleetTaker(t, { url: broker.url, group: GROUP, leaseSec: 60, mqtt: { maxPacketBytes: TAKER_MAX_PACKET } });

  // A bystander: what the group and the subscribers see.
  const watcher = await connectTo(t, broker.url, 'watcher');
  const done: JobDonePayload[] = [];
  let transcripts = 0;
  watcher.onMessage((topic, payload) => {
    if (topic.startsWith(fleetTopics(GROUP).doneWildcard.slice(0, -1))) done.push(JSON.parse(payload.toString('utf8')) as JobDonePayload);
    else if (topic === 'earshot/box/transcript/fleet-hq') transcripts += 1;
  });
  await watcher.subscribe({ [fleetTopics(GROUP).doneWildcard]: { qos: 1 }, 'earshot/box/transcript/#': { qos: 1 } });

  const lines: string[] = [];
  const logger = new LogSink({ level: 'info', format: 'text', write: (l) => lines.push(l), syslogPrefix: false }).logger('fleet');
  const connection = await connectTo(t, broker.url, 'hq');
  const { offerer, bridge } = await offeringBridge(t, { connection, group: GROUP, dataDir: join(dir, 'hq'), logger, leaseMs: LEASE_MS, fleet: { maxAudioBytes: 16 << 20, maxOutstandingBytes: 64 << 20, claimTimeoutSec: 600, maxHeld: 4 } });

  const offered = await bridge.offer({ paths: [recording] });
  t.same(offered.errors, [], 'offered');
  await waitFor(() => done.length > 0 || offerer.stats().reoffered > 0, 120_000, 'a result, or the job offered again');
  // Past the lease: a job whose result never came would be offered again by now.
  await new Promise((r) => setTimeout(r, LEASE_MS + 1500));

  t.equal(offerer.stats().reoffered, 0, `never offered again (${lines.filter((l) => /offering job again/.test(l)).join(' | ')})`);
  t.equal(taker.output().match(/fleet: running a job for the group/g)?.length, 1, 'the taker ran it once');
  t.equal(transcripts, segments, `the taker published its ${segments} transcripts, each small enough`);
  t.same(done.map((d) => [d.takenBy, d.status]), [['box', 'error']], 'one result on the wire: an error from the taker');
  const list = await bridge.offers();
  t.same(list.outstanding, [], 'nothing outstanding');
  t.same(list.done.map((d) => [d.input, d.status, d.takenBy]), [[recording, 'error', 'box']], '`jobs offers` lists it failed, taken by box');
  const error = list.done[0]?.error ?? '';
  t.match(error, new RegExp(`a \\d+-byte MQTT packet, over the broker's maximum packet size of ${TAKER_MAX_PACKET} bytes`), 'the error names the result\'s size and the limit');
  t.match(error, /published .* on box/, 'and says the transcripts went out from the taker');
  t.match(error, /mqtt\.maxPacketBytes.*without --fleet/, 'and the ways out');
  t.match(taker.output(), /ERROR .*fleet: .*result is too large for the broker/, 'the taker logs an error saying why');
  t.notMatch(taker.output(), /the offerer will offer the job again/, 'and does not claim the job goes out again');

  taker.child.kill('SIGTERM');
  t.equal(await taker.exited, 0, taker.output().slice(-1500));
});
