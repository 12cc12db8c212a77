import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Mosquitto } from '../helpers/mosquitto.js';
import { tempDir } from '../helpers/paths.js';
import { connectTo } from '../mqtt/helpers/connection.js';
import { offeringBridge } from './helpers/offering-bridge.js';
import { LogSink } from '../../daemon/log/logger.js';
import { fleetTopics } from '../../daemon/mqtt/topics.js';
import type { JobOfferPayload } from '../../daemon/mqtt/payloads/job.js';

const GROUP = 'oversize';
/** What the broker takes (announced in its MQTT 5 CONNACK): a small file's offer fits, a big one's does not. */
const MAX_PACKET = 4096;
const BIG_BYTES = 6000;
const SMALL_BYTES = 500;

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

interface BrokerLimit {
  /** mosquitto.conf line setting the limit. */
  setting: string;
  /** What the job's error says of it. */
  said: RegExp;
  /** What it says to raise. */
  raise: RegExp;
}

/** The broker's announced limit (max_packet_size): the offer is never sent. */
const ANNOUNCED: BrokerLimit = { setting: `max_packet_size ${MAX_PACKET}`, said: new RegExp(`\\d+-byte MQTT packet is over the broker's maximum packet size of ${MAX_PACKET} bytes`), raise: /max_packet_size.*mqtt\.maxPacketBytes/ };
/** Mosquitto's message_size_limit: announced nowhere, the offer is sent and refused in the PUBACK (0x95). */
const REFUSED: BrokerLimit = { setting: `message_size_limit ${MAX_PACKET}`, said: /\d+-byte MQTT packet is refused by the broker as too large \(reason code 0x95; Mosquitto answers so for a message over its message_size_limit\)/, raise: /raise the broker's limit/ };

for (const limit of [ANNOUNCED, REFUSED]) t.test(`an offer too big for the broker (${limit.setting}) fails at once, saying why, and its bytes go to the next offer`, async (t) => {
  const broker = await new Mosquitto({ extraConfig: [limit.setting] }).start();
  t.teardown(() => broker.stop());
  const dir = tempDir();
  const dataDir = join(dir, 'hq');
  const big = join(dir, 'long-call.wav');
  writeFileSync(big, Buffer.alloc(BIG_BYTES, 1));
  const small = join(dir, 'short-call.wav');
  writeFileSync(small, Buffer.alloc(SMALL_BYTES, 2));

  // Sees every offer the group gets (the plain topic, not the shared subscription).
  const watcher = await connectTo(t, broker.url, 'watcher');
  const seen: JobOfferPayload[] = [];
  watcher.onMessage((topic, payload) => {
    if (topic === fleetTopics(GROUP).offers) seen.push(JSON.parse(payload.toString('utf8')) as JobOfferPayload);
  });
  await watcher.subscribe({ [fleetTopics(GROUP).offers]: { qos: 1 } });

  const lines: string[] = [];
  const logger = new LogSink({ level: 'warn', format: 'text', write: (l) => lines.push(l), syslogPrefix: false }).logger('fleet');
  const connection = await connectTo(t, broker.url, 'hq');
  // The big file alone fills the outstanding limit: the small one goes out only once it is released.
  const { offerer, bridge } = await offeringBridge(t, { connection, group: GROUP, dataDir, logger, fleet: { maxAudioBytes: 8192, maxOutstandingBytes: BIG_BYTES, claimTimeoutSec: 600, maxHeld: 4 } });

  const offered = await bridge.offer({ paths: [big, small] });
  t.same(offered.errors, [], 'both are within the fleet\'s audio limit, so both are taken');

  await until('the big offer to fail', async () => (await bridge.offers()).done.length === 1);
  await until('the small offer to go out', () => seen.length >= 1);
  const list = await bridge.offers();
  t.same(
    list.done.map((d) => [d.input, d.status, d.takenBy]),
    [[big, 'error', 'hq']],
    '`jobs offers` lists the big one as failed here',
  );
  const error = list.done[0]!.error ?? '';
  t.match(error, limit.said, 'the error names its size and the limit');
  t.match(error, /without --fleet/, 'and says to submit it without --fleet');
  t.match(error, limit.raise, "or to raise the broker's limit");
  t.same(
    list.outstanding.map((o) => [o.input, o.state]),
    [[small, 'out']],
    'the big one\'s bytes were released: the small one is out in the group',
  );
  t.equal(seen.length, 1, 'the group never got the big offer');
  t.equal(offerer.stats().outstanding, 1, 'the offerer holds only the small one');
  t.equal(lines.filter((l) => l.startsWith('ERROR') && l.includes(list.done[0]!.id)).length, 1, 'one ERROR names the job');
  t.equal(connection.state().connects, 1, 'the broker did not close the connection, and nothing waits for an acknowledgement');
});
