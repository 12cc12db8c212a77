import t from 'tap';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startDaemonOnFreePort, waitFor } from '../helpers/daemon-process.js';
import { fixturesDir, tempDir } from '../helpers/paths.js';
import { decodeAll } from '../../daemon/audio/decode-file.js';
import { MODEL_SAMPLE_RATE } from '../../daemon/audio/types.js';
import { payloadErrors } from '../../daemon/mqtt/payload-schemas.js';
import type { PartialPayload } from '../../daemon/mqtt/payloads/partial.js';
import type { TranscriptPayload } from '../../daemon/mqtt/payloads/transcript.js';

/**
 * Live partials in a real daemon: a sender streams a recording (speech, a pause, speech) as
 * raw PCM over the unix socket of a `socket` source, in real time. While each stretch is
 * still being spoken, an MQTT subscriber sees partial transcripts naming the id of the final
 * that will replace them; every final arrives once, after its partials, and no partial of a
 * stretch comes after its final. The model is the fixture NeMo-CTC model (random weights:
 * its words are noise, its shapes and timings are real).
 */

const CHUNK_SEC = 0.1;

function openSocket(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ path }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Writes `samples` as f32le in CHUNK_SEC pieces, each at the moment it would be heard. */
async function streamRealTime(socket: Socket, samples: Float32Array): Promise<void> {
  const chunk = Math.round(CHUNK_SEC * MODEL_SAMPLE_RATE);
  const t0 = Date.now();
  for (let i = 0, n = 0; i < samples.length; i += chunk, n++) {
    const piece = samples.slice(i, i + chunk);
    socket.write(Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength));
    const due = t0 + (n + 1) * CHUNK_SEC * 1000;
    await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
  }
}

type Heard = { kind: 'partial'; p: PartialPayload; at: number } | { kind: 'final'; p: TranscriptPayload; at: number };

t.test('socket source streamed in real time: partials per stretch of speech before its final; finals once', async (t) => {
  const mic = join(tempDir('earshot-partials-'), 'mic.sock');
  const { daemon, port } = await startDaemonOnFreePort((port) => ({
    siteId: 'e2e',
    mqtt: { url: null, embedded: { host: '127.0.0.1', port } },
    sources: [{ id: 'desk', type: 'socket', path: mic, format: { encoding: 'f32le', sampleRate: MODEL_SAMPLE_RATE, channels: 1 } }],
    vad: { detector: 'energy' },
    model: { dir: join(fixturesDir, 'asr', 'models', 'nemo-ctc'), providers: ['cpu'] },
    scheduler: { tickMs: 100 },
    partials: { enabled: true, intervalMs: 300, minSpeechMs: 300 },
  }));
  t.teardown(async () => {
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  });

  const subscriber = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 });
  const heard: Heard[] = [];
  subscriber.on('message', (topic, payload) => {
    const value = JSON.parse(payload.toString()) as unknown;
    const at = Date.now();
    if (topic === 'earshot/e2e/partial/desk') heard.push({ kind: 'partial', p: value as PartialPayload, at });
    else if (topic === 'earshot/e2e/transcript/desk') heard.push({ kind: 'final', p: value as TranscriptPayload, at });
  });
  await subscriber.subscribeAsync({ 'earshot/e2e/partial/desk': { qos: 0 }, 'earshot/e2e/transcript/desk': { qos: 1 } });

  // The recording, then a second of silence so that the VAD closes the last stretch.
  const speech = await decodeAll(join(fixturesDir, 'audio', 'speech-silence-speech.wav'));
  const audio = new Float32Array(speech.length + MODEL_SAMPLE_RATE);
  audio.set(speech);
  const sender = await openSocket(mic);
  t.teardown(() => sender.destroy());
  await streamRealTime(sender, audio);
  sender.end();

  const finals = () => heard.filter((h): h is Extract<Heard, { kind: 'final' }> => h.kind === 'final');
  await waitFor(() => finals().length >= 2, 30_000, 'two final transcripts');
  // Time for a duplicate final or a late partial to show up.
  await new Promise((r) => setTimeout(r, 1500));

  const partials = heard.filter((h): h is Extract<Heard, { kind: 'partial' }> => h.kind === 'partial');
  t.equal(finals().length, 2, 'one final per stretch of speech, each exactly once');
  t.equal(new Set(finals().map((f) => f.p.id)).size, 2, 'final ids are unique');
  for (const { p } of partials) t.same(payloadErrors('partial', p), [], 'partial validates against schemas/partial.schema.json');

  for (const [i, { p: final }] of finals().entries()) {
    const at = heard.findIndex((h) => h.kind === 'final' && h.p.id === final.id);
    const mine = heard.map((h, index) => ({ h, index })).filter(({ h }) => h.kind === 'partial' && h.p.segmentId === final.id);
    t.ok(mine.length >= 1, `stretch ${i}: ${mine.length} partials name its final's id (${final.id})`);
    t.ok(mine.every(({ index }) => index < at), `stretch ${i}: every partial came before the final`);
    // Figures for the report: how soon text showed, and how late the final came after the speech ended.
    const first = mine[0]?.h.at ?? NaN;
    t.comment(`stretch ${i}: first partial ${first - Date.parse(final.startedAt)} ms after the speech began; final ${heard[at]!.at - Date.parse(final.endedAt)} ms after it ended`);
    for (const { h } of mine) {
      t.equal(h.p.startOffsetSec, final.startOffsetSec, `stretch ${i}: the partial starts where the final does`);
      t.ok(h.p.text.length > 0, 'a partial has text');
    }
  }
  t.ok(
    partials.every((h) => finals().some((f) => f.p.id === h.p.segmentId)),
    'every partial names a final that arrived',
  );

  await subscriber.endAsync(true);
  daemon.child.kill('SIGTERM');
  t.equal(await daemon.exited, 0, daemon.output().slice(-2000));
});
