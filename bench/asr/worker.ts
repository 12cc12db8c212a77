/**
 * One side of bench/asr, run in its own process so its peak RSS is its own:
 * loads the model, decodes the audio once to warm up, then `repeat` times, and prints one JSON
 * line {engine, loadSec, audioSec, decodeSec, rtf, meanRtf, cpuRtf, peakRssMb, text}. `rtf` is
 * the median decode's wall time per audio second, `meanRtf` the mean's; `cpuRtf` is CPU time of all the process's threads per audio second, which
 * a busy shared machine disturbs far less (Earshot's onnxruntime call hops to a worker thread
 * and back, and each wake-up waits for a free core there).
 */
import { performance } from 'node:perf_hooks';
import { loadModel } from '../../daemon/asr/recognizer.js';
import { readWavFile } from '../../daemon/asr/wav-file.js';
import { sherpaPeer } from '../../test/parity/sherpa-peer.js';
import type { ModelFamily } from '../../daemon/asr/types.js';

export interface WorkerReport {
  engine: 'sherpa-onnx' | 'earshot';
  loadSec: number;
  audioSec: number;
  decodeSec: number;
  /** Median decode time per audio second. */
  rtf: number;
  meanRtf: number;
  cpuRtf: number;
  peakRssMb: number;
  text: string;
}

async function main(): Promise<void> {
  const [engine, modelDir, family, wav, threadsText, repeatText] = process.argv.slice(2);
  if (!engine || !modelDir || !family || !wav) throw new Error('usage: worker.js sherpa|earshot MODEL_DIR FAMILY WAV [THREADS] [REPEAT]');
  const threads = Number(threadsText ?? 1);
  const repeat = Number(repeatText ?? 5);
  const audio = readWavFile(wav);
  if (audio.sampleRate !== 16000) throw new Error(`${wav}: bench audio must be 16 kHz (got ${audio.sampleRate})`);
  const t0 = performance.now();
  let decode: () => Promise<string>;
  if (engine === 'sherpa') {
    const peer = sherpaPeer(modelDir, family as ModelFamily, threads);
    decode = async () => peer.transcribe(audio.samples).text;
  } else {
    const model = await loadModel(modelDir, { providers: ['cpu'], threads });
    decode = async () => (await model.transcribe(audio.samples)).text;
  }
  const loadSec = (performance.now() - t0) / 1000;
  const text = await decode();
  const t1 = performance.now();
  const cpu0 = process.cpuUsage();
  const times: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const t = performance.now();
    await decode();
    times.push((performance.now() - t) / 1000);
  }
  const cpu = process.cpuUsage(cpu0);
  const decodeSec = (performance.now() - t1) / 1000;
  const audioSec = (audio.samples.length / 16000) * repeat;
  // The median decode: a busy shared box preempts some runs, which would dominate a mean.
  const median = times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
  const report: WorkerReport = {
    engine: engine === 'sherpa' ? 'sherpa-onnx' : 'earshot',
    loadSec,
    audioSec,
    decodeSec,
    rtf: median / (audio.samples.length / 16000),
    meanRtf: decodeSec / audioSec,
    cpuRtf: (cpu.user + cpu.system) / 1e6 / audioSec,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    text,
  };
  process.stdout.write(JSON.stringify(report) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
});
