import t, { type Test } from 'tap';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeAll } from '../../daemon/audio/decode-file.js';
import { MODEL_SAMPLE_RATE } from '../../daemon/audio/types.js';
import type { AsrStream, StreamOptions } from '../../daemon/asr/types.js';
import { silentLogger } from '../../daemon/log/logger.js';
import type { PartialPayload } from '../../daemon/mqtt/payloads/partial.js';
import { transcriptId } from '../../daemon/mqtt/payloads/transcript.js';
import { AsrRuntime } from '../../daemon/pipeline/asr-runtime.js';
import { PartialPublisher, partialModelOf, type PartialsConfig, type PartialPublisherOptions } from '../../daemon/pipeline/partial-publisher.js';
import type { PartialPlugins } from '../../daemon/pipeline/partial-text.js';
import { sha256File } from '../../daemon/asr/models/card.js';
import { PluginHost } from '../../daemon/plugins/host.js';
import { ModelLifecycle } from '../../daemon/scheduler/model-lifecycle.js';
import { createDetector } from '../../daemon/vad/create-detector.js';
import { LiveVad } from '../../daemon/vad/live-vad.js';
import { resolveSegmenterSettings } from '../../daemon/vad/sensitivity.js';
import type { SpeechSegment } from '../../daemon/vad/types.js';
import { fixturesDir, tempDir } from '../helpers/paths.js';
import { pluginsConfig } from '../daemon-plugins/sandbox.js';

/**
 * The publisher against the real parts it joins: the fixture NeMo-CTC model loaded by the
 * ASR runtime through the model lifecycle, and a LiveVad (energy detector) fed the fixture
 * recording (speech 0.5-2.4 s, pause, speech 3.6-5.0 s) frame by frame.
 */

const CONFIG: PartialsConfig = { enabled: true, intervalMs: 40, minSpeechMs: 300, maxPendingLive: 0 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/**
 * Waits until `done()` holds or `capMs` passed, whichever is first; the assertions after it
 * say what was missing. Polled rather than a fixed sleep: a model load or a decode on a slow,
 * busy box takes far longer than it does here.
 */
async function until(done: () => boolean, capMs = 20_000): Promise<void> {
  const cap = Date.now() + capMs;
  while (!done() && Date.now() < cap) await sleep(20);
}

/** `slowMs` holds each decode that much longer, to make it outlast the interval for certain. */
async function setup(t: Test, overrides: Partial<PartialPublisherOptions> = {}, slowMs = 0, modelDir = join(fixturesDir, 'asr', 'models', 'nemo-ctc')) {
  const audio = await decodeAll(join(fixturesDir, 'audio', 'speech-silence-speech.wav'));
  const runtime = new AsrRuntime({
    config: { dir: modelDir, providers: ['cpu'], threads: 1, graphOptimization: 'all', decoding: { method: 'greedy', beamSize: 4, hotwordBoost: 2 } },
    logger: silentLogger,
    process: () => Promise.reject(new Error('no jobs in this test')),
    describe: () => Promise.reject(new Error('no jobs in this test')),
  });
  const lifecycle = new ModelLifecycle(runtime, silentLogger);
  const segments: SpeechSegment[] = [];
  const live = new LiveVad({ sourceId: 'desk', createDetector: () => createDetector('energy', silentLogger), settings: resolveSegmenterSettings({}), onSegment: async (s) => void segments.push(s), logger: silentLogger });
  const published: PartialPayload[] = [];
  // Counts overlapping decodes on the real stream, to see that ticks never pile up; and the
  // language each one was tagged with, where the model tags one.
  const decodes = { running: 0, most: 0, total: 0, languages: [] as Array<string | undefined> };
  const model = partialModelOf(lifecycle, {
    loaded: () => runtime.loaded(),
    loadedModelLanguages: () => runtime.loadedModelLanguages(),
    createStream: (options?: StreamOptions): AsrStream => {
      const stream = runtime.createStream(options);
      return {
        accept: (s) => stream.accept(s),
        partial: async () => {
          decodes.running++;
          decodes.total++;
          decodes.most = Math.max(decodes.most, decodes.running);
          try {
            const partial = await stream.partial();
            decodes.languages.push(partial.language);
            if (slowMs > 0) await sleep(slowMs);
            return partial;
          } finally {
            decodes.running--;
          }
        },
        finish: () => stream.finish(),
        get durationSec() {
          return stream.durationSec;
        },
      };
    },
  });
  const publisher = new PartialPublisher({
    siteId: 'lab',
    config: CONFIG,
    openSpeech: () => [live.openSpeech()].filter((s) => s !== null),
    model,
    pendingLive: () => 0,
    paused: () => false,
    // A host with no plugins: partials pass through unchanged (plugins on partials: test/e2e/live-partials-plugins.test.ts).
    plugins: new PluginHost({ logger: silentLogger, dataDir: tempDir('earshot-partials-'), config: pluginsConfig() }),
    sink: { publishPartial: (p) => void published.push(p) },
    logger: silentLogger,
    ...overrides,
  });
  let fed = 0;
  /** Feeds the recording up to `sec` in 100 ms frames. */
  const feedTo = async (sec: number) => {
    const end = Math.min(audio.length, Math.round(sec * MODEL_SAMPLE_RATE));
    for (; fed < end; fed += 1600) {
      await live.onFrames({ sourceId: 'desk', startSample: fed, wallTimeMs: Date.UTC(2026, 0, 1) + fed / 16, samples: audio.slice(fed, Math.min(end, fed + 1600)), discontinuity: fed === 0 });
    }
  };
  t.teardown(async () => {
    await publisher.stop();
    await live.end();
    await lifecycle.unload('test over');
  });
  return { runtime, lifecycle, live, publisher, published, segments, decodes, feedTo };
}

t.test('while speech is open: loads the model, publishes partials naming the final id; none once it closed', async (t) => {
  const { runtime, live, publisher, published, segments, decodes, feedTo } = await setup(t);
  await publisher.start();
  await feedTo(1.8); // inside the first stretch
  const open = live.openSpeech();
  t.ok(open, 'speech is open');
  await until(() => published.length >= 1);
  t.ok(runtime.loaded(), 'live speech loaded the model');
  t.ok(published.length >= 1, `${published.length} partials while speaking`);
  for (const p of published) {
    t.equal(p.segmentId, transcriptId('lab', 'desk', `${open!.id}#0`), 'segmentId is the id the final transcript will carry');
    t.equal(p.startOffsetSec, open!.startSec);
    t.equal(p.sourceId, 'desk');
    t.equal(p.v, 1);
    t.ok(p.text.startsWith(p.stable), `the stable part "${p.stable}" starts the text "${p.text}"`);
  }
  for (let i = 1; i < published.length; i++) t.ok(published[i]!.stable.startsWith(published[i - 1]!.stable), 'the stable part only grows');
  t.equal(new Set(published.map((p) => p.text)).size, published.length, 'only changed text is published again');
  t.equal(decodes.most, 1, 'never two decodes at once');

  await feedTo(3.4); // the first stretch closes in the pause
  t.equal(segments.length, 1);
  t.equal(segments[0]!.speechId, open!.id, 'the closed segment carries the open speech id');
  await sleep(150);
  const after = published.length;
  await sleep(300);
  t.equal(published.length, after, 'no partials in the pause');
  t.match(publisher.state(), { state: 'running' });
});

t.test('ticks skip while a decode runs instead of queueing', async (t) => {
  const { lifecycle, publisher, decodes, feedTo } = await setup(t, {}, 200);
  await feedTo(2.3);
  // Loaded first, so that the window below is all decoding and skipping, not the load.
  await lifecycle.ensureLoaded('test');
  const started = Date.now();
  await publisher.start();
  const skippedNow = () => Number(/(\d+) ticks skipped/.exec(publisher.state().detail ?? '')?.[1]);
  // At least a second, and long enough for two decodes and ten skipped ticks however slow the box.
  await until(() => Date.now() - started >= 1000 && decodes.total >= 2 && skippedNow() >= 10);
  const elapsedMs = Date.now() - started;
  t.ok(decodes.total >= 2, `${decodes.total} decodes`);
  // Each decode holds the stream 200 ms or more and they run one after another, so a window
  // has at most one more decode than it has 200 ms stretches (6 in a second).
  t.ok(decodes.total <= 1 + elapsedMs / 200, `at most one decode per 200 ms, not one per 40 ms tick (${decodes.total} in ${elapsedMs} ms)`);
  t.equal(decodes.most, 1, 'one decode at a time');
  const skipped = skippedNow();
  t.ok(skipped >= 10, `state reports the ticks skipped (${skipped})`);
  await publisher.stop();
  const total = decodes.total;
  await sleep(200);
  t.equal(decodes.total, total, 'stop() ends the ticks');
  t.equal(decodes.running, 0, 'stop() waited for the decode in flight');
});

t.test('a live backlog pauses partials; a paused scheduler neither decodes nor loads', async (t) => {
  let pending = 1;
  let paused = false;
  const { runtime, lifecycle, publisher, published, feedTo } = await setup(t, { pendingLive: () => pending, paused: () => paused });
  await feedTo(1.8);
  await lifecycle.ensureLoaded('test');
  await publisher.start();
  await sleep(400);
  t.equal(published.length, 0, 'no partials while a live final waits');
  pending = 0;
  paused = true;
  await sleep(300);
  t.equal(published.length, 0, 'no partials while the scheduler pauses');
  await lifecycle.unload('test');
  await sleep(300);
  t.notOk(runtime.loaded(), 'a paused scheduler: partials do not load the model');
  paused = false;
  await until(() => runtime.loaded() && published.length >= 1);
  t.ok(runtime.loaded() && published.length >= 1, 'back to normal: loads and publishes');
});

t.test('without a partials section (or enabled: false) nothing runs', async (t) => {
  for (const config of [undefined, { ...CONFIG, enabled: false }]) {
    const { runtime, publisher, published, feedTo } = await setup(t, { config });
    await feedTo(1.8);
    await publisher.start();
    await sleep(300);
    t.equal(published.length, 0);
    t.notOk(runtime.loaded(), 'the model was not loaded');
    t.match(publisher.state(), { state: 'disabled' });
  }
});

t.test('unloading the model waits for a partial decode in flight', async (t) => {
  const { runtime, lifecycle } = await setup(t);
  await lifecycle.ensureLoaded('test');
  const stream = runtime.createStream();
  stream.accept(new Float32Array(8 * MODEL_SAMPLE_RATE).map((_, i) => 0.1 * Math.sin(i / 7)));
  const order: string[] = [];
  const decode = stream.partial().then(() => order.push('decode done'));
  const unload = lifecycle.unload('test').then(() => order.push('unloaded'));
  await Promise.all([decode, unload]);
  t.same(order, ['decode done', 'unloaded']);
  await t.rejects(stream.partial(), /released|not loaded/, 'a stream of a released model fails cleanly');
});

/**
 * SenseVoice tags each result with the language it heard, and a final is in that language
 * (job-processor.ts); its card lists five, Chinese first. A partial of the same speech goes
 * through the plugins in the language its decode was tagged with too, not in the card's
 * first: English speech would otherwise have partials through itn-zh and a final through
 * itn-en. The fixture SenseVoice model (random weights: its tags are whatever it emits).
 */
t.test('a model that tags its results (SenseVoice): partials go through the plugins in the language tagged, not the card\'s first', async (t) => {
  const modelDir = tempDir('earshot-partials-sense-voice-');
  const fixture = join(fixturesDir, 'asr', 'models', 'sense-voice');
  for (const f of ['model.onnx', 'tokens.txt']) copyFileSync(join(fixture, f), join(modelDir, f));
  const files = await Promise.all(['model.onnx', 'tokens.txt'].map(async (path) => ({ path, sha256: await sha256File(join(modelDir, path)) })));
  writeFileSync(join(modelDir, 'model.json'), JSON.stringify({ name: 'fixture-sense-voice', family: 'sense-voice', languages: ['zh', 'en', 'ja', 'ko', 'yue'], sampleRate: 16000, files, licence: 'Apache-2.0', source: 'test fixture' }));
  const seen: string[] = [];
  // The plugin host as partials use it, noting the language each run is in.
  const plugins: PartialPlugins = { processPartial: async (tr) => (seen.push(tr.language ?? '(none)'), { text: tr.text, words: tr.words ?? [], applied: [], skipped: [] }) };
  const { publisher, published, decodes, feedTo } = await setup(t, { plugins }, 0, modelDir);
  await publisher.start();
  await feedTo(1.8);
  await until(() => published.length >= 1);
  t.ok(published.length >= 1, `${published.length} partials`);
  t.ok(decodes.languages.length > 0 && decodes.languages.every((l) => l !== undefined), `every decode says the language it tagged: ${decodes.languages.join(', ')}`);
  // Two plugin runs per partial at most (the text, then the stable prefix): each in a decode's language.
  const tagged = new Set(decodes.languages);
  t.ok(seen.length > 0 && seen.every((l) => tagged.has(l)), `the plugins saw ${[...new Set(seen)].join(', ')}; the model tagged ${[...tagged].join(', ')}`);
});
