import t from 'tap';
import { copyFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startDaemon, waitFor } from '../helpers/daemon-process.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { fixturesDir, tempDir } from '../helpers/paths.js';
import { spoolPipelineConfig } from '../helpers/pipeline-config.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import type { TranscriptPayload } from '../../daemon/mqtt/payloads/transcript.js';

/**
 * `systemctl stop` while the path to the broker has gone quiet (a hung broker, a dead
 * link: the connection is up, nothing is acknowledged): the whole daemon must still stop
 * well within systemd's 20 s, and the transcript it could not get confirmed must not be
 * lost: the next start delivers it from the outbox.
 */
t.test('a daemon stops within the budget with its broker silent, and the next start delivers what was unconfirmed', async (t) => {
  const broker = await new Mosquitto({ persistence: false }).start();
  t.teardown(() => broker.stop());
  const proxy = await new TcpProxy(broker.port).start();
  t.teardown(() => proxy.stop());
  const spool = tempDir('earshot-e2e-stall-spool-');
  const dataDir = join(tempDir('earshot-e2e-stall-data-'), 'data');
  const config = spoolPipelineConfig({ siteId: 'stall', spool, brokerUrl: proxy.url, dataDir });
  const first = await startDaemon(config);
  t.teardown(() => {
    if (first.child.exitCode === null) first.child.kill('SIGKILL');
  });
  await waitFor(() => /MQTT connected|connected to MQTT/i.test(first.output()), 20_000, 'the daemon to connect');

  t.equal(proxy.stall(), 1, 'the one connection goes quiet');
  copyFileSync(join(fixturesDir, 'audio', 'speech-silence-speech.wav'), join(spool, 'held.wav.part'));
  renameSync(join(spool, 'held.wav.part'), join(spool, 'held.wav'));
  await waitFor(() => /transcript queued|job done|transcribed/i.test(first.output()), 30_000, 'the job to finish');
  await new Promise((r) => setTimeout(r, 500));

  const signalled = Date.now();
  first.child.kill('SIGTERM');
  const code = await Promise.race([first.exited, new Promise((r) => setTimeout(() => r('still running 20 s after SIGTERM'), 20_000))]);
  const tookMs = Date.now() - signalled;
  t.equal(code, 0, 'exits 0');
  t.ok(tookMs < 12_000, `stopped in ${tookMs} ms, well within systemd's 20 s`);

  // the next start, straight to the broker, sends what the silent one never confirmed
  const subscriber = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  t.teardown(() => subscriber.end(true));
  const received: TranscriptPayload[] = [];
  subscriber.on('message', (_topic, payload) => received.push(JSON.parse(payload.toString()) as TranscriptPayload));
  await subscriber.subscribeAsync('earshot/stall/transcript/#', { qos: 1 });
  const second = await startDaemon({ ...config, mqtt: { url: broker.url } });
  t.teardown(() => {
    if (second.child.exitCode === null) second.child.kill('SIGKILL');
  });
  await waitFor(() => received.length > 0, 30_000, 'the held transcript');
  t.match(received[0], { text: /\S/ }, 'delivered on the next start');
  t.match(JSON.stringify(received[0]), /held\.wav/, 'the one from the recording dropped while the broker was silent');
  second.child.kill('SIGTERM');
  t.equal(await second.exited, 0);
});
