/**
 * Whether loading the model again (what a thermal or budget change of the thread count
 * does) gives its memory back: the model is loaded again --reloads times, alternating
 * between two thread counts, through ModelLifecycle.retune as the scheduler does, with a
 * transcription on each session. Prints the resident memory after the first few reloads
 * (the peer: allocators settle) and after all, and the growth per 100 reloads.
 *
 *   node --expose-gc dist/bench/scheduler/reload-memory.js [--model DIR] [--reloads 200]
 */
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { decodeAll } from '../../daemon/audio/decode-file.js';
import { silentLogger } from '../../daemon/log/logger.js';
import { AsrRuntime } from '../../daemon/pipeline/asr-runtime.js';
import { ModelLifecycle } from '../../daemon/scheduler/model-lifecycle.js';
import { packageRoot } from '../../daemon/paths.js';

const shipped = join(packageRoot, 'models', 'earshot-en-tiny');
const { values } = parseArgs({ options: { model: { type: 'string', default: existsSync(shipped) ? shipped : join(packageRoot, 'test', 'fixtures', 'asr', 'models', 'nemo-ctc') }, reloads: { type: 'string', default: '200' } } });
const RELOADS = Number(values.reloads);
const WARM = 20;
if (!(RELOADS > WARM)) {
  console.error(`--reloads > ${WARM}`);
  process.exit(2);
}
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) console.error('(run with node --expose-gc for steadier figures)');

const runtime = new AsrRuntime({
  config: { dir: values.model!, providers: ['cpu'], threads: 2, graphOptimization: 'all', decoding: { method: 'greedy', beamSize: 4, hotwordBoost: 2 } },
  logger: silentLogger,
  process: () => Promise.reject(new Error('not used')),
  describe: () => Promise.reject(new Error('not used')),
});
const lifecycle = new ModelLifecycle(runtime, silentLogger);
const audio = await decodeAll(join(packageRoot, 'test', 'fixtures', 'audio', 'speech-silence-speech.wav'));
const rssMb = () => {
  gc?.();
  return process.memoryUsage().rss / 1048576;
};

await lifecycle.ensureLoaded('bench', 2);
let after = 0;
for (let i = 1; i <= RELOADS; i++) {
  if (!(await lifecycle.retune(i % 2 === 0 ? 2 : 1, 'bench'))) throw new Error('retune refused');
  await runtime.recognizer().transcribeBatch([audio]);
  if (i === WARM) after = rssMb();
}
const end = rssMb();
await lifecycle.unload('bench over');
console.log(`${values.model}: ${RELOADS} reloads alternating 2 and 1 threads, a transcription on each`);
console.log(`RSS after ${WARM} reloads ${after.toFixed(1)} MB, after ${RELOADS} ${end.toFixed(1)} MB: ${(((end - after) / (RELOADS - WARM)) * 100).toFixed(2)} MB per 100 reloads`);
