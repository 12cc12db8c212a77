import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Mosquitto } from '../helpers/mosquitto.js';
import { tempDir } from '../helpers/paths.js';
import { connectTo } from '../mqtt/helpers/connection.js';
import { offeringBridge } from './helpers/offering-bridge.js';
import { fleetTopics } from '../../daemon/mqtt/topics.js';
import { requiredPluginsRefuseOffers } from '../../daemon/plugins/required-plugins.js';

const GROUP = 'redacted';

/**
 * A box whose transcripts must go through plugins.required (a redacting filter) does not
 * offer its recordings to the fleet: the box that takes a job runs its own plugins, so its
 * transcripts would go out without the filter. A real offerer and bridge on Mosquitto, and a
 * client watching the group's offer topic.
 */
t.test('with plugins.required, jobs.offer is refused and nothing goes to the group', async (t) => {
  const broker = await new Mosquitto({ persistence: false }).start();
  t.teardown(() => broker.stop());
  const dir = tempDir();
  const recording = join(dir, 'call.wav');
  writeFileSync(recording, Buffer.alloc(500, 1));
  const watcher = await connectTo(t, broker.url, 'watcher');
  const seen: string[] = [];
  watcher.onMessage((topic) => void (topic === fleetTopics(GROUP).offers && seen.push(topic)));
  await watcher.subscribe({ [fleetTopics(GROUP).offers]: { qos: 1 } });

  const connection = await connectTo(t, broker.url, 'hq');
  const required = ['redact-gate'];
  const { bridge } = await offeringBridge(t, {
    connection,
    group: GROUP,
    dataDir: join(dir, 'hq'),
    fleet: { maxAudioBytes: 8192, maxOutstandingBytes: 65536, claimTimeoutSec: 600, maxHeld: 4 },
    offerRefusal: () => requiredPluginsRefuseOffers(required),
  });
  await t.rejects(bridge.offer({ paths: [recording] }), { message: /^not offered to the group: plugins\.required \(redact-gate\) must run on every transcript of this box, and the boxes that take fleet work run their own plugins; submit without --fleet$/ });
  // A round trip through the broker: an offer sent would have reached the watcher by now.
  await connection.publish(`${fleetTopics(GROUP).offers}/probe`, 'x', { qos: 1 });
  await new Promise((r) => setTimeout(r, 300));
  t.same(seen, [], 'no offer went out');
  t.same((await bridge.offers()).outstanding, [], 'none is kept to go out later');
  t.equal(requiredPluginsRefuseOffers([]), undefined, 'without required plugins, offers go out as before');
});
