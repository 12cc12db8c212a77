/**
 * What stopping a long recording part-way costs. One file job (the fixture model or
 * --model DIR; the Silero VAD, as shipped, or --vad energy) is run four ways, each measured
 * in CPU time (what the box spends, so the energy) and wall time:
 *   whole    - run once, uninterrupted: the peer the others are divided by;
 *   resume   - stopped after --stop-at of its segments, then run again from its saved
 *              progress, which starts at its resume point (a stop or a thermal pause);
 *   crashed  - the same, but without the resume point a clean stop writes (a crash or
 *              power cut): the next run decodes and cuts the kept part again;
 *   restart  - stopped at the same place with nothing saved, then run again from the start
 *              (what a stop cost before progress was saved).
 *
 *   node dist/bench/pipeline/resume.js [--copies 100] [--stop-at 0.5] [--runs 3] [--model DIR] [--vad silero|energy]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadModel } from '../../daemon/asr/recognizer.js';
import { SileroDetector } from '../../daemon/vad/silero.js';
import type { TranscriptionJob } from '../../daemon/pipeline/types.js';
import type { JobProgressSlot } from '../../daemon/scheduler/model-lifecycle.js';
import { fileJobProcessor } from '../../test/helpers/file-job-processor.js';
import { writeLongRecording } from '../../test/helpers/long-recording.js';
import { fixturesDir } from '../../test/helpers/paths.js';

const { values } = parseArgs({ options: { copies: { type: 'string', default: '100' }, 'stop-at': { type: 'string', default: '0.5' }, runs: { type: 'string', default: '3' }, model: { type: 'string' }, vad: { type: 'string', default: 'silero' } } });
const COPIES = Number(values.copies);
const STOP_AT = Number(values['stop-at']);
const RUNS = Number(values.runs);
if (!(COPIES >= 1) || !(STOP_AT > 0 && STOP_AT < 1) || !(RUNS >= 1) || !['silero', 'energy'].includes(values.vad!)) {
  console.error('--copies ≥ 1, 0 < --stop-at < 1, --runs ≥ 1, --vad silero|energy');
  process.exit(2);
}

const model = await loadModel(values.model ?? join(fixturesDir, 'asr', 'models', 'nemo-ctc'));
const silero = values.vad === 'silero' ? await SileroDetector.load() : undefined;
const dir = mkdtempSync(join(tmpdir(), 'earshot-bench-resume-'));
const recording = join(dir, 'meeting.wav');
const segments = await writeLongRecording(recording, COPIES);
const stopAfter = Math.max(1, Math.round(segments * STOP_AT));
const job: TranscriptionJob = { id: 'bench', sourceId: 'bench', path: recording, kind: 'file', recording, startedAtMs: 0 };

/** An in-memory progress slot with the queue's semantics. */
function memorySlot(): JobProgressSlot & { records: unknown[] | undefined } {
  const slot = {
    records: undefined as unknown[] | undefined,
    get saved() {
      return slot.records;
    },
    replace: async (records: unknown[]) => void (slot.records = [...records]),
    append: async (records: unknown[]) => void (slot.records = [...(slot.records ?? []), ...records]),
  };
  return slot;
}

/** One run of the job; `stopAt` transcripts in, it is interrupted. Returns segments transcribed. */
async function run(progress: JobProgressSlot | undefined, stopAt?: number): Promise<number> {
  const stop = new AbortController();
  const h = fileJobProcessor(model, { onPublish: (n) => n === stopAt && stop.abort(new Error('stop')), ...(silero ? { detector: () => silero } : {}) });
  await h.processor.process(job, { signal: stop.signal, ...(progress ? { progress: { saved: progress.saved, replace: progress.replace, append: progress.append } } : {}) }).catch((err: Error) => {
    if (err.name !== 'JobInterrupted') throw err;
  });
  return h.published.length;
}

async function measure(scenario: () => Promise<number>): Promise<{ cpuMs: number; wallMs: number; transcribed: number }> {
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  const transcribed = await scenario();
  const cpu = process.cpuUsage(cpu0);
  return { cpuMs: (cpu.user + cpu.system) / 1000, wallMs: performance.now() - wall0, transcribed };
}

const scenarios: Record<string, () => Promise<number>> = {
  whole: () => run(undefined),
  resume: async () => {
    const slot = memorySlot();
    return (await run(slot, stopAfter)) + (await run(slot));
  },
  crashed: async () => {
    const slot = memorySlot();
    const first = await run(slot, stopAfter);
    slot.records = slot.records?.filter((r) => !(typeof r === 'object' && r !== null && 'resumeAt' in r));
    return first + (await run(slot));
  },
  restart: async () => (await run(undefined, stopAfter)) + (await run(undefined)),
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const results: Record<string, { cpuMs: number; wallMs: number; transcribed: number }> = {};
await run(undefined); // warm-up: model and page cache
for (const [name, scenario] of Object.entries(scenarios)) {
  const runs = [];
  for (let i = 0; i < RUNS; i++) runs.push(await measure(scenario));
  results[name] = { cpuMs: median(runs.map((r) => r.cpuMs)), wallMs: median(runs.map((r) => r.wallMs)), transcribed: runs[0]!.transcribed };
}
await model.release();
await silero?.close();
rmSync(dir, { recursive: true, force: true });

console.log(`one file job of ${segments} speech segments (${((segments / 2) * 5.456 / 60).toFixed(1)} min, ${values.vad} VAD), stopped after ${stopAfter}; median of ${RUNS} runs`);
console.log('scenario   segments transcribed   CPU ms    wall ms   CPU ÷ whole');
for (const [name, r] of Object.entries(results)) {
  console.log(`${name.padEnd(10)} ${String(r.transcribed).padStart(20)} ${r.cpuMs.toFixed(0).padStart(8)} ${r.wallMs.toFixed(0).padStart(10)} ${(r.cpuMs / results.whole!.cpuMs).toFixed(2).padStart(13)}`);
}
