import t from 'tap';
import mqtt from 'mqtt';
import { join } from 'node:path';
import { startDaemonOnFreePort, waitFor } from '../helpers/daemon-process.js';
import { fixturesDir, tempDir } from '../helpers/paths.js';
import { speakTwoStretches, startLiveDaemon } from '../helpers/live-speech.js';
import type { HermesTextCaptured } from '../../daemon/mqtt/integrations/hermes.js';
import type { TranscriptPayload } from '../../daemon/mqtt/payloads/transcript.js';

/**
 * Earshot as the ASR of a Rhasspy site, in a real daemon hearing live speech: a client acting
 * as Rhasspy's dialogue manager opens a session with hermes/asr/startListening and, as the
 * real one does, takes only a textCaptured whose sessionId is that session's. Two stretches of
 * speech are then spoken into a live socket source: the first answers the session, the
 * second is published as a session of its own, which the manager ignores.
 */
t.test('a live utterance answers the Rhasspy session that asked for it, through a real daemon', async (t) => {
  // No mqtt.hermes.sources: every live source is the site's microphone, as by default.
  const { daemon, port, mic } = await startLiveDaemon(t, { mqtt: { hermes: { enabled: true, siteId: 'default' } } });
  const rhasspy = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 });
  t.teardown(() => rhasspy.endAsync(true));
  const session = 'default-jarvis-7f3a';
  const taken: HermesTextCaptured[] = [];
  const ignored: HermesTextCaptured[] = [];
  const finals: TranscriptPayload[] = [];
  rhasspy.on('message', (topic, payload) => {
    const body = JSON.parse(payload.toString()) as unknown;
    if (topic === 'earshot/e2e/transcript/desk') return void finals.push(body as TranscriptPayload);
    const captured = body as HermesTextCaptured;
    (captured.sessionId === session ? taken : ignored).push(captured);
  });
  await rhasspy.subscribeAsync({ 'hermes/asr/textCaptured': { qos: 0 }, 'earshot/e2e/transcript/desk': { qos: 1 } });
  await rhasspy.publishAsync('hermes/asr/startListening', JSON.stringify({ siteId: 'default', sessionId: session, wakewordId: 'jarvis', stopOnSilence: true, sendAudioCaptured: true, lang: null }), { qos: 1 });
  // The daemon's handler, behind the broker's acknowledgement.
  await new Promise((r) => setTimeout(r, 300));

  await speakTwoStretches(t, mic);
  await waitFor(() => taken.length + ignored.length >= 2 && finals.length >= 2, 30_000, 'two textCaptured and two finals');

  t.equal(taken.length, 1, 'one utterance answers the session');
  const first = finals.find((f) => f.startOffsetSec === Math.min(...finals.map((x) => x.startOffsetSec)))!;
  t.match(taken[0], { siteId: 'default', sessionId: session, wakewordId: 'jarvis', text: first.text }, 'the first stretch, with the session’s ids');
  t.equal(ignored.length, 1, 'the second stretch goes out as a session of its own');
  t.not(ignored[0]!.sessionId, session);
  t.equal(ignored[0]!.siteId, 'e2e');

  daemon.child.kill('SIGTERM');
  t.equal(await daemon.exited, 0, daemon.output().slice(-2000));
});

t.test('a daemon with no live source says why it leaves a listening session unanswered', async (t) => {
  const { daemon, port } = await startDaemonOnFreePort((port) => ({
    siteId: 'e2e',
    mqtt: { url: null, embedded: { host: '127.0.0.1', port }, hermes: { enabled: true, siteId: 'default' } },
    sources: [{ id: 'inbox', type: 'spool', dir: tempDir('earshot-hermes-spool-') }],
    vad: { detector: 'energy' },
    model: { dir: join(fixturesDir, 'asr', 'models', 'nemo-ctc'), providers: ['cpu'] },
  }));
  t.teardown(() => void (daemon.child.exitCode === null && daemon.child.kill('SIGKILL')));
  const rhasspy = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 });
  t.teardown(() => rhasspy.endAsync(true));
  await rhasspy.publishAsync('hermes/asr/startListening', JSON.stringify({ siteId: 'default', sessionId: 'default-jarvis-9' }), { qos: 1 });
  await waitFor(() => daemon.output().includes('Hermes listening session not answered'), 5000, 'the warning');
  const line = daemon.output().split('\n').find((l) => l.includes('Hermes listening session not answered'))!;
  t.match(line, /^WARN .*no live source.*sessionId=default-jarvis-9/, 'at WARN, naming the session');
  daemon.child.kill('SIGTERM');
  t.equal(await daemon.exited, 0, daemon.output().slice(-2000));
});
