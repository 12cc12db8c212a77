import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeAll } from '../../daemon/audio/decode-file.js';
import { silentLogger } from '../../daemon/log/logger.js';
import { AsrRuntime } from '../../daemon/pipeline/asr-runtime.js';
import { ModelLifecycle } from '../../daemon/scheduler/model-lifecycle.js';
import { fixturesDir } from '../helpers/paths.js';

/**
 * The policy's thread count reaches onnxruntime: the real ASR runtime, through the model
 * lifecycle, with the fixture NeMo-CTC model. onnxruntime's intra-op pool has a thread per
 * intra-op thread but the caller's, so the process's own thread count (Linux /proc) shows
 * which count the session was made with.
 */

const osThreads = () => Number(/^Threads:\s+(\d+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]);

t.test('a session loaded with 4 threads, then with 1, runs each pool size and transcribes the same', async (t) => {
  const runtime = new AsrRuntime({
    // model.threads bounds the count the scheduler asks for (SchedulerStack); a load takes the count it is given.
    config: { dir: join(fixturesDir, 'asr', 'models', 'nemo-ctc'), providers: ['cpu'], threads: 4, graphOptimization: 'all', decoding: { method: 'greedy', beamSize: 4, hotwordBoost: 2 } },
    logger: silentLogger,
    process: () => Promise.reject(new Error('no jobs in this test')),
    describe: () => Promise.reject(new Error('no jobs in this test')),
  });
  const lifecycle = new ModelLifecycle(runtime, silentLogger);
  t.teardown(() => lifecycle.unload('test over'));
  const audio = await decodeAll(join(fixturesDir, 'audio', 'speech-silence-speech.wav'));
  const before = osThreads();

  await lifecycle.ensureLoaded('test', 4);
  const withFour = osThreads();
  const text4 = (await runtime.recognizer().transcribeBatch([audio]))[0]?.text;
  t.ok(withFour - before >= 3, `loaded with 4: at least three threads more (${before} → ${withFour}; onnxruntime keeps one of its own besides)`);

  t.equal(await lifecycle.retune(1, 'thermal soft'), true);
  const withOne = osThreads();
  t.equal(withFour - withOne, 3, `loaded again with 1: the pool's three threads are gone (${withFour} → ${withOne})`);
  t.equal(lifecycle.telemetry().threads, 1);
  t.equal((await runtime.recognizer().transcribeBatch([audio]))[0]?.text, text4, 'the same transcript on the smaller session');

  t.equal(await lifecycle.retune(4, 'limits changed'), true);
  t.equal(osThreads(), withFour, 'and with 4 again: the pool is back');
});
