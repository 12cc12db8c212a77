import t from 'tap';
import mqtt from 'mqtt';
import { waitFor } from '../helpers/daemon-process.js';
import { speakTwoStretches, startLiveDaemon } from '../helpers/live-speech.js';
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

type Heard = { kind: 'partial'; p: PartialPayload; at: number } | { kind: 'final'; p: TranscriptPayload; at: number };

t.test('socket source streamed in real time: partials per stretch of speech before its final; finals once', async (t) => {
  const { daemon, port, mic } = await startLiveDaemon(t);

  const subscriber = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 });
  const heard: Heard[] = [];
  subscriber.on('message', (topic, payload) => {
    const value = JSON.parse(payload.toString()) as unknown;
    const at = Date.now();
    if (topic === 'earshot/e2e/partial/desk') heard.push({ kind: 'partial', p: value as PartialPayload, at });
    else if (topic === 'earshot/e2e/transcript/desk') heard.push({ kind: 'final', p: value as TranscriptPayload, at });
  });
  await subscriber.subscribeAsync({ 'earshot/e2e/partial/desk': { qos: 0 }, 'earshot/e2e/transcript/desk': { qos: 1 } });

  await speakTwoStretches(t, mic);

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
