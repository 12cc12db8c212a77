import t, { type Test } from 'tap';
import mqtt from 'mqtt';
import { waitFor } from '../helpers/daemon-process.js';
import { speakTwoStretches, startLiveDaemon } from '../helpers/live-speech.js';
import { sandbox } from '../daemon-plugins/sandbox.js';
import { payloadErrors } from '../../daemon/mqtt/payload-schemas.js';
import type { PartialPayload } from '../../daemon/mqtt/payloads/partial.js';
import type { TranscriptPayload } from '../../daemon/mqtt/payloads/transcript.js';

/**
 * Partials go through the plugins the finals go through: a real daemon with a third-party
 * plugin folder, a `socket` source streamed in real time, and an MQTT subscriber. A
 * normalizer's output is what the partials show; a normalizer that fails leaves no partial
 * published at all (its output, a redaction say, would be missing from it).
 */

interface Heard {
  partials: PartialPayload[];
  finals: TranscriptPayload[];
}

/** Streams the two-stretch recording into a daemon running `plugin` and returns what was published. */
async function speakThrough(t: Test, plugin: string): Promise<Heard & { output: () => string }> {
  const sb = sandbox([plugin]);
  // Room for a call into the plugin's thread on a busy box: a throw is then a throw, not a timeout.
  const { daemon, port, mic } = await startLiveDaemon(t, { plugins: { dirs: [sb.pluginsDir], timeoutMs: 2000 } });
  const subscriber = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 });
  const heard: Heard = { partials: [], finals: [] };
  subscriber.on('message', (topic, payload) => {
    const value = JSON.parse(payload.toString()) as unknown;
    if (topic === 'earshot/e2e/partial/desk') heard.partials.push(value as PartialPayload);
    else if (topic === 'earshot/e2e/transcript/desk') heard.finals.push(value as TranscriptPayload);
  });
  await subscriber.subscribeAsync({ 'earshot/e2e/partial/desk': { qos: 0 }, 'earshot/e2e/transcript/desk': { qos: 1 } });

  await speakTwoStretches(t, mic);
  await waitFor(() => heard.finals.length >= 2, 30_000, 'two final transcripts');

  await subscriber.endAsync(true);
  daemon.child.kill('SIGTERM');
  t.equal(await daemon.exited, 0, daemon.output().slice(-2000));
  return { ...heard, output: () => daemon.output() };
}

t.test('a normalizer in a plugin folder rewrites the partials as it does the finals', async (t) => {
  const heard = await speakThrough(t, 'upper');
  t.ok(heard.partials.length >= 2, `${heard.partials.length} partials published`);
  for (const final of heard.finals) t.ok(final.plugins.includes('earshot-plugin-upper') && final.text === final.text.toUpperCase(), 'the final went through the normalizer');
  for (const p of heard.partials) {
    t.same(payloadErrors('partial', p), [], 'partial validates against schemas/partial.schema.json');
    t.match(p.text, /[A-Z]/, 'the partial has letters');
    t.equal(p.text, p.text.toUpperCase(), `the partial is the normalizer's output: "${p.text}"`);
    t.ok(p.text.startsWith(p.stable), `stable "${p.stable}" begins the text`);
  }
  // Within a segment, stable only grows: each one begins the next.
  for (const segment of new Set(heard.partials.map((p) => p.segmentId))) {
    const stables = heard.partials.filter((p) => p.segmentId === segment).map((p) => p.stable);
    for (let i = 1; i < stables.length; i++) t.ok(stables[i]!.startsWith(stables[i - 1]!), `segment ${segment}: stable "${stables[i - 1]}" then "${stables[i]}"`);
  }
});

t.test('a normalizer that fails: no partial is published unfiltered', async (t) => {
  const heard = await speakThrough(t, 'throwing');
  t.equal(heard.finals.length, 2, 'the finals still come (naming the plugin skipped)');
  for (const final of heard.finals) t.ok(final.pluginsSkipped?.some((s) => s.plugin === 'earshot-plugin-throwing'));
  t.same(heard.partials, [], 'no partial was published');
  t.match(heard.output(), /partial not published: plugins did not run: earshot-plugin-throwing/, 'the daemon says why');
});
