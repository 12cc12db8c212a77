/**
 * bench/asr: sherpa-onnx-node vs Earshot on the same model, audio and thread count.
 *
 *   node dist/bench/asr/run.js [--model DIR] [--audio WAV] [--threads N] [--repeat K]
 *
 * Each engine runs in its own child process (so peak RSS is measured per engine), sherpa-onnx
 * first, then Earshot, then sherpa-onnx and Earshot again; the better run of each is kept so
 * a noisy neighbour on a shared box does not decide the ratio. Prints RTF of both, their ratio
 * (Earshot / sherpa-onnx; <= 1.0 means Earshot is no slower) and peak RSS of both. RTF is the
 * median decode's wall-clock time per audio second (mean beside it); CPU RTF (CPU seconds of all threads per audio second) is printed beside it
 * because on a shared, overloaded box wall time mostly measures waiting for a core.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { detectModel } from '../../daemon/asr/models/detect.js';
import { packageRoot } from '../../daemon/paths.js';
import type { WorkerReport } from './worker.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const here = dirname(fileURLToPath(import.meta.url));
const defaultModel = join(packageRoot, 'models', 'earshot-en-tiny');
const model = arg('model', existsSync(defaultModel) ? defaultModel : join(packageRoot, 'test', 'fixtures', 'asr', 'models', 'nemo-ctc'));
const audio = arg('audio', join(packageRoot, 'test', 'fixtures', 'asr', 'speech-en.wav'));
const threads = arg('threads', '1');
const repeat = arg('repeat', '10');
const family = detectModel(model).family;
const workerFile = join(here, `worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`);

function runWorker(engine: 'sherpa' | 'earshot'): WorkerReport {
  const out = execFileSync(process.execPath, [...process.execArgv, workerFile, engine, model, family, audio, threads, repeat], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!) as WorkerReport;
}

const best = (a: WorkerReport, b: WorkerReport): WorkerReport => ({
  ...(a.rtf <= b.rtf ? a : b),
  meanRtf: Math.min(a.meanRtf, b.meanRtf),
  cpuRtf: Math.min(a.cpuRtf, b.cpuRtf),
  peakRssMb: Math.max(a.peakRssMb, b.peakRssMb),
});
const s1 = runWorker('sherpa');
const e1 = runWorker('earshot');
const sherpa = best(s1, runWorker('sherpa'));
const earshot = best(e1, runWorker('earshot'));

const f = (x: number, d = 4) => x.toFixed(d);
console.log(`bench/asr  model=${model} (${family})  audio=${audio}  threads=${threads}  repeat=${repeat}`);
console.log('engine       RTF       mean RTF  CPU RTF   load s   peak RSS MB');
for (const r of [sherpa, earshot]) console.log(`${r.engine.padEnd(12)} ${f(r.rtf).padEnd(9)} ${f(r.meanRtf).padEnd(9)} ${f(r.cpuRtf).padEnd(9)} ${f(r.loadSec, 3).padEnd(8)} ${f(r.peakRssMb, 1)}`);
console.log(`RTF ratio earshot/sherpa-onnx = ${f(earshot.rtf / sherpa.rtf, 3)} (goal <= 1.0)`);
console.log(`CPU RTF ratio earshot/sherpa-onnx = ${f(earshot.cpuRtf / sherpa.cpuRtf, 3)}`);
console.log(`RSS ratio earshot/sherpa-onnx = ${f(earshot.peakRssMb / sherpa.peakRssMb, 3)} (goal <= 1.2)`);
console.log(`same text: ${earshot.text === sherpa.text ? 'yes' : 'no'}`);
