import t, { type Test } from 'tap';
import { cpSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeAll } from '../../daemon/audio/decode-file.js';
import { LogSink, silentLogger, type Logger } from '../../daemon/log/logger.js';
import { AsrRuntime } from '../../daemon/pipeline/asr-runtime.js';
import { ModelUsers } from '../../daemon/pipeline/model-users.js';
import { loadModel } from '../../daemon/asr/recognizer.js';
import { ModelLifecycle } from '../../daemon/scheduler/model-lifecycle.js';
import { fixturesDir, tempDir } from '../helpers/paths.js';

/**
 * The policy's thread count reaches onnxruntime: the real ASR runtime, through the model
 * lifecycle, with the fixture NeMo-CTC model. onnxruntime's intra-op pool has a thread per
 * intra-op thread but the caller's, so the process's own thread count (Linux /proc) shows
 * which count the session was made with.
 */

/** Waits up to 10 s for `cond`; the assertions after it say what failed. */
async function until(cond: () => boolean): Promise<void> {
  for (const end = Date.now() + 10_000; !cond() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
}

/** The real ASR runtime on the fixture NeMo-CTC model, through the model lifecycle, and the fixture speech. */
async function fixtureRuntime(t: Test, threads: number, dir = join(fixturesDir, 'asr', 'models', 'nemo-ctc'), logger: Logger = silentLogger) {
  const runtime = new AsrRuntime({
    // model.threads bounds the count the scheduler asks for (SchedulerStack); a load takes the count it is given.
    config: { dir, providers: ['cpu'], threads, graphOptimization: 'all', decoding: { method: 'greedy', beamSize: 4, hotwordBoost: 2 } },
    logger,
    process: () => Promise.reject(new Error('no jobs in this test')),
    describe: () => Promise.reject(new Error('no jobs in this test')),
  });
  const lifecycle = new ModelLifecycle(runtime, logger);
  t.teardown(() => lifecycle.unload('test over'));
  const audio = await decodeAll(join(fixturesDir, 'audio', 'speech-silence-speech.wav'));
  return { runtime, lifecycle, audio };
}

/** Adds 'old released' to `order` when the session loaded now is released. */
function noteRelease(runtime: AsrRuntime, order: string[]): void {
  const oldModel = (runtime as unknown as { current: { model: { release(): Promise<void> } } }).current.model;
  const release = oldModel.release.bind(oldModel);
  oldModel.release = async () => {
    order.push('old released');
    await release();
  };
}

const osThreads = () => Number(/^Threads:\s+(\d+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]);

t.test('a session loaded with 4 threads, then with 1, runs each pool size and transcribes the same', async (t) => {
  const { runtime, lifecycle, audio } = await fixtureRuntime(t, 4);
  const before = osThreads();

  await lifecycle.ensureLoaded('test', 4);
  const withFour = osThreads();
  const text4 = (await runtime.recognizer().transcribeBatch([audio]))[0]?.text;
  t.ok(withFour - before >= 3, `loaded with 4: at least three threads more (${before} → ${withFour}; onnxruntime keeps one of its own besides)`);

  t.equal(await lifecycle.retune(1, 'thermal soft'), true);
  // Loaded again in place: the old session is released just after, once nothing runs on it.
  await until(() => withFour - osThreads() >= 3);
  const withOne = osThreads();
  t.equal(withFour - withOne, 3, `loaded again with 1: the pool's three threads are gone (${withFour} → ${withOne})`);
  t.equal(lifecycle.telemetry().threads, 1);
  t.equal((await runtime.recognizer().transcribeBatch([audio]))[0]?.text, text4, 'the same transcript on the smaller session');

  t.equal(await lifecycle.retune(4, 'limits changed'), true);
  await until(() => osThreads() === withFour);
  t.equal(osThreads(), withFour, 'and with 4 again: the pool is back');
});

t.test('loaded again in place: a batch begun before finishes whole, a stream begun on the old session is refused, new work runs on the new one', async (t) => {
  const { runtime, lifecycle, audio } = await fixtureRuntime(t, 2);
  await lifecycle.ensureLoaded('test', 2);
  t.ok(lifecycle.reloadsInPlace, 'the ASR runtime on the CPU reloads in place');
  const expected = (await runtime.recognizer().transcribeBatch([audio]))[0]?.text;

  const order: string[] = [];
  noteRelease(runtime, order);
  const stream = runtime.createStream();
  stream.accept(audio);
  // A batch long enough to be running while the model is loaded again.
  const batch = runtime
    .recognizer()
    .transcribeBatch(Array.from({ length: 24 }, () => audio))
    .then((results) => {
      order.push('batch done');
      return results;
    });
  t.equal(await lifecycle.retune(1, 'thermal soft'), true);
  order.push('reloaded');
  const results = await batch;
  t.ok(results.every((r) => r.text === expected), 'the batch in flight finished on the old session, whole');
  await until(() => order.includes('old released'));
  t.ok(order.indexOf('old released') > order.indexOf('batch done'), `the old session was released after it (${order.join(', ')})`);
  await t.rejects(stream.partial(), { name: 'ModelRetiredError', message: /released \(unloaded, or loaded again with other threads\)/ }, 'a stream begun on the old session is refused, to be begun again');
  t.equal((await runtime.recognizer().transcribeBatch([audio]))[0]?.text, expected, 'new work runs on the new session');
  t.equal(lifecycle.telemetry().threads, 1);
});

t.test('without room for a second session (the policy says not in place): the old session is released before the new one is made', async (t) => {
  const lines: string[] = [];
  const logger = new LogSink({ level: 'info', format: 'text', write: (line) => void lines.push(line) }).logger('model');
  const { runtime, lifecycle, audio } = await fixtureRuntime(t, 2, undefined, logger);
  await lifecycle.ensureLoaded('test', 2);
  t.ok(lifecycle.reloadsInPlace, 'the runtime could reload in place');
  const expected = (await runtime.recognizer().transcribeBatch([audio]))[0]?.text;
  const order: string[] = [];
  noteRelease(runtime, order);
  const load = runtime.load.bind(runtime);
  runtime.load = async (threads: number) => {
    order.push(`new loaded with ${threads}`);
    await load(threads);
  };
  t.equal(await lifecycle.retune(1, 'thermal soft', false), true);
  t.same(order, ['old released', 'new loaded with 1'], 'one session at a time');
  t.equal(lifecycle.telemetry().threads, 1);
  t.notMatch(lines.join('\n'), /inPlace=true/, 'not logged as in place');
  t.equal((await runtime.recognizer().transcribeBatch([audio]))[0]?.text, expected, 'the new session transcribes the same');
});

t.test('a retired model is released only after the operation running on it, and starts no new one', async (t) => {
  const model = await loadModel(join(fixturesDir, 'asr', 'models', 'nemo-ctc'), { providers: ['cpu'], threads: 1 });
  const audio = await decodeAll(join(fixturesDir, 'audio', 'speech-silence-speech.wav'));
  const expected = (await model.transcribeBatch([audio]))[0]?.text;
  const order: string[] = [];
  const release = model.release.bind(model);
  model.release = async () => {
    order.push('released');
    await release();
  };
  const users = new ModelUsers(model);
  const running = users.use(async (m) => {
    const results = await m.transcribeBatch([audio, audio, audio]);
    order.push('batch done');
    return results;
  });
  const retired = users.retire(); // while the batch runs
  await t.rejects(users.use((m) => m.transcribeBatch([audio])), { name: 'ModelRetiredError' }, 'no new operation starts on it');
  t.ok((await running).every((r) => r.text === expected), 'the running batch finishes whole');
  await retired;
  t.same(order, ['batch done', 'released'], 'released after it, not under it');
  await users.retire();
  t.same(order, ['batch done', 'released'], 'retired twice, released once');
});

t.test('retunes asked again while one waits join it; a failed reload in place is not tried at every pass', async (t) => {
  const dir = join(tempDir(), 'model');
  cpSync(join(fixturesDir, 'asr', 'models', 'nemo-ctc'), dir, { recursive: true });
  const lines: string[] = [];
  const logger = new LogSink({ level: 'info', format: 'text', write: (l) => void lines.push(l) }).logger('model');
  const { runtime, lifecycle, audio } = await fixtureRuntime(t, 2, dir, logger);
  await lifecycle.ensureLoaded('test', 2);
  const expected = (await runtime.recognizer().transcribeBatch([audio]))[0]?.text;
  const loads = lifecycle.telemetry().loads;
  // What the scheduler does while a reload runs: ask again at each pass.
  const asked = await Promise.all([lifecycle.retune(1, 'thermal soft'), lifecycle.retune(1, 'thermal soft'), lifecycle.retune(1, 'thermal soft')]);
  t.same(asked, [true, true, true]);
  t.equal(lifecycle.telemetry().loads, loads + 1, 'one reload for the three asks, not three sessions');

  renameSync(dir, `${dir}-gone`); // the next load cannot find its files
  await t.rejects(lifecycle.retune(2, 'thermal normal'));
  t.equal(lifecycle.reloadsInPlace, false, 'after a failed reload in place, none is tried for a while');
  t.match(lines.join('\n'), /could not load the model again in place; for 60 s it is loaded again only when idle/);
  t.equal(lifecycle.telemetry().threads, 1, 'the session it had stays');
  t.equal((await runtime.recognizer().transcribeBatch([audio]))[0]?.text, expected, 'and serves');
  renameSync(`${dir}-gone`, dir);
  t.equal(await lifecycle.retune(2, 'thermal normal'), true, 'loaded again when idle instead');
  t.equal(lifecycle.telemetry().threads, 2);
});

t.test("resident bytes count the model files in use and their external weights, not a sibling of another precision", async (t) => {
  const dir = join(tempDir('earshot-model-bytes-'), 'model');
  cpSync(join(fixturesDir, 'asr', 'models', 'nemo-ctc'), dir, { recursive: true });
  writeFileSync(join(dir, 'model.int8.onnx'), Buffer.alloc(5000));
  writeFileSync(join(dir, 'model.onnx.data'), Buffer.alloc(1000));
  writeFileSync(join(dir, 'README.md'), 'notes\n'.repeat(100));
  const { lifecycle } = await fixtureRuntime(t, 1, dir);
  await lifecycle.ensureLoaded('test', 1);
  t.equal(lifecycle.telemetry().residentBytes, statSync(join(dir, 'model.onnx')).size + 1000);
});
