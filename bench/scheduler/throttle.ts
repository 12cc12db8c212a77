/**
 * What the thermal soft limit and a power budget buy: the model's session loaded with the
 * policy's thread count (through ModelLifecycle.retune, as the scheduler does), each count
 * measured in the same run on the same audio. Reports, per count, the cores kept busy (CPU
 * seconds per wall second: what draws power and heat) and the speed (audio seconds per wall
 * second), each divided by the full count's. A throttle that did nothing (the session keeping
 * its threads) would print 1.00 for both.
 *
 *   node dist/bench/scheduler/throttle.js [--model DIR] [--threads 2,1] [--seconds 60] [--runs 3]
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
const { values } = parseArgs({ options: { model: { type: 'string', default: existsSync(shipped) ? shipped : join(packageRoot, 'test', 'fixtures', 'asr', 'models', 'nemo-ctc') }, threads: { type: 'string', default: '2,1' }, seconds: { type: 'string', default: '60' }, runs: { type: 'string', default: '3' } } });
const counts = values.threads!.split(',').map(Number);
const SECONDS = Number(values.seconds);
const RUNS = Number(values.runs);
if (counts.some((n) => !Number.isInteger(n) || n < 1) || !(SECONDS > 0) || !(RUNS >= 1)) {
  console.error('--threads a,b,... (integers ≥ 1), --seconds > 0, --runs ≥ 1');
  process.exit(2);
}

const runtime = new AsrRuntime({
  config: { dir: values.model!, providers: ['cpu'], threads: Math.max(...counts), graphOptimization: 'all', decoding: { method: 'greedy', beamSize: 4, hotwordBoost: 2 } },
  logger: silentLogger,
  process: () => Promise.reject(new Error('not used')),
  describe: () => Promise.reject(new Error('not used')),
});
const lifecycle = new ModelLifecycle(runtime, silentLogger);
// Four 10-second segments a batch, as a file job sends them.
const speech = await decodeAll(join(packageRoot, 'test', 'fixtures', 'audio', 'speech-silence-speech.wav'));
const segment = new Float32Array(16000 * 10);
for (let i = 0; i < segment.length; i++) segment[i] = speech[i % speech.length]!;
const batch = [segment, segment, segment, segment];
const batchSec = (batch.length * segment.length) / 16000;

async function measure(threads: number): Promise<{ cores: number; speed: number }> {
  if (lifecycle.threads === undefined) await lifecycle.ensureLoaded('bench', threads);
  else if (!(await lifecycle.retune(threads, 'bench'))) throw new Error('retune refused');
  const recognizer = runtime.recognizer();
  await recognizer.transcribeBatch(batch); // warm-up
  let audio = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  while (audio < SECONDS) {
    await recognizer.transcribeBatch(batch);
    audio += batchSec;
  }
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { cores: (cpu.user + cpu.system) / 1e6 / wall, speed: audio / wall };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const results = new Map<number, Array<{ cores: number; speed: number }>>();
for (let r = 0; r < RUNS; r++) for (const n of counts) results.set(n, [...(results.get(n) ?? []), await measure(n)]);
await lifecycle.unload('bench over');

const full = counts[0]!;
const peer = { cores: median(results.get(full)!.map((x) => x.cores)), speed: median(results.get(full)!.map((x) => x.speed)) };
console.log(`${values.model}: ${SECONDS} s of audio per measurement, median of ${RUNS}; ratios against ${full} threads`);
console.log('threads   cores busy   × speed (audio s / s)   cores ÷ full   speed ÷ full');
for (const n of counts) {
  const cores = median(results.get(n)!.map((x) => x.cores));
  const speed = median(results.get(n)!.map((x) => x.speed));
  console.log(`${String(n).padStart(7)} ${cores.toFixed(2).padStart(12)} ${speed.toFixed(1).padStart(24)} ${(cores / peer.cores).toFixed(2).padStart(14)} ${(speed / peer.speed).toFixed(2).padStart(14)}`);
}
