/**
 * VAD benchmark: both detectors on the same labelled 30 %-speech set, side by side.
 *
 *   node dist/bench/vad/run.js ../shared/speech [--minutes 10] [--seed 1] [--sensitivity medium] [--pad-ms N] [--min-silence-ms N] [--min-speech-ms N]
 *
 * Prints, per detector: speech-frame recall and precision (10 ms frames), the fraction of
 * audio sent to ASR, and CPU seconds per hour of audio. Needs sox for the noise.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { EnergyDetector } from '../../daemon/vad/energy.js';
import { SileroDetector } from '../../daemon/vad/silero.js';
import { resolveSegmenterSettings, SENSITIVITIES, type SegmenterSettings, type Sensitivity } from '../../daemon/vad/sensitivity.js';
import type { VoiceDetector } from '../../daemon/vad/types.js';
import { VadStream } from '../../daemon/vad/vad-stream.js';
import { buildEvalSet, type EvalSet } from './eval-set.js';

const RATE = 16000;
const FRAME = RATE / 100;

interface Row {
  detector: string;
  recall: number;
  precision: number;
  kept: number;
  cpuSecPerHour: number;
  segments: number;
}

async function evaluate(set: EvalSet, detector: VoiceDetector, settings: SegmenterSettings): Promise<Row> {
  const stream = new VadStream('bench', detector, settings);
  const kept = new Uint8Array(set.audio.length);
  let segments = 0;
  const mark = (list: Array<{ startSec: number; endSec: number }>) => {
    for (const s of list) {
      kept.fill(1, Math.round(s.startSec * RATE), Math.round(s.endSec * RATE));
      segments++;
    }
  };
  const cpu = process.cpuUsage();
  // 100 ms chunks, as a live source would deliver them.
  const chunk = RATE / 10;
  for (let i = 0; i < set.audio.length; i += chunk) {
    mark(await stream.push({ sourceId: 'bench', startSample: i, wallTimeMs: (i / RATE) * 1000, samples: set.audio.subarray(i, i + chunk) }));
  }
  mark(await stream.end());
  const used = process.cpuUsage(cpu);
  // Frame-level scores: a 10 ms frame is speech (or kept) when most of its samples are.
  let tp = 0;
  let speechFrames = 0;
  let keptFrames = 0;
  const frames = Math.floor(set.audio.length / FRAME);
  for (let f = 0; f < frames; f++) {
    let s = 0;
    let k = 0;
    for (let i = f * FRAME; i < (f + 1) * FRAME; i++) {
      s += set.speech[i]!;
      k += kept[i]!;
    }
    const isSpeech = s * 2 > FRAME;
    const isKept = k * 2 > FRAME;
    if (isSpeech) speechFrames++;
    if (isKept) keptFrames++;
    if (isSpeech && isKept) tp++;
  }
  const hours = set.audio.length / RATE / 3600;
  return {
    detector: detector.name,
    recall: tp / speechFrames,
    precision: keptFrames ? tp / keptFrames : 0,
    kept: keptFrames / frames,
    cpuSecPerHour: (used.user + used.system) / 1e6 / hours,
    segments,
  };
}

const pct = (x: number) => `${(x * 100).toFixed(2)} %`.padStart(8);

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      minutes: { type: 'string', default: '10' },
      seed: { type: 'string', default: '1' },
      sensitivity: { type: 'string', default: 'medium' },
      'speech-share': { type: 'string', default: '0.3' },
      'pad-ms': { type: 'string' },
      'min-silence-ms': { type: 'string' },
      'min-speech-ms': { type: 'string' },
    },
  });
  const speechDir = positionals[0];
  if (!speechDir) throw new Error('usage: node dist/bench/vad/run.js SPEECH_DIR [--minutes 10] [--seed 1] [--sensitivity low|medium|high]');
  const sensitivity = values.sensitivity as Sensitivity;
  if (!SENSITIVITIES.includes(sensitivity)) throw new Error(`--sensitivity must be one of ${SENSITIVITIES.join(', ')}`);
  const work = mkdtempSync(join(tmpdir(), 'earshot-bench-vad-'));
  try {
    const set = await buildEvalSet(speechDir, { minutes: Number(values.minutes), speechShare: Number(values['speech-share']), seed: Number(values.seed), workDir: work });
    const speechShare = set.speech.reduce((a, b) => a + b, 0) / set.speech.length;
    console.log(
      `VAD benchmark: ${(set.audio.length / RATE / 60).toFixed(1)} min, ${(speechShare * 100).toFixed(1)} % speech (${set.utterances} FSDD utterances in ${set.turns} turns, speakers ${set.speakers.join(', ')}), noise: pink bed + buzz/rumble/hiss in pauses; sensitivity ${sensitivity}`,
    );
    // Library defaults unless overridden, the same as `earshot vad` uses.
    const settings = resolveSegmenterSettings({
      sensitivity,
      ...(values['pad-ms'] !== undefined ? { padMs: Number(values['pad-ms']) } : {}),
      ...(values['min-silence-ms'] !== undefined ? { minSilenceMs: Number(values['min-silence-ms']) } : {}),
      ...(values['min-speech-ms'] !== undefined ? { minSpeechMs: Number(values['min-speech-ms']) } : {}),
    });
    console.log(`segmenter: threshold ${settings.threshold}, min speech ${settings.minSpeechMs} ms, min silence ${settings.minSilenceMs} ms, pad ${settings.padMs} ms`);
    const rows: Row[] = [];
    for (const make of [() => SileroDetector.load(), async () => new EnergyDetector()]) {
      const d = await make();
      rows.push(await evaluate(set, d, settings));
      await d.close();
    }
    console.log('');
    console.log('detector   recall   precision  kept (sent to ASR)  CPU s / audio h  segments');
    for (const r of rows) {
      console.log(`${r.detector.padEnd(8)} ${pct(r.recall)} ${pct(r.precision)}    ${pct(r.kept)}          ${r.cpuSecPerHour.toFixed(1).padStart(8)}  ${String(r.segments).padStart(8)}`);
    }
    const [silero, energy] = rows as [Row, Row];
    console.log('');
    console.log(`ratios energy/silero: recall ${(energy.recall / silero.recall).toFixed(3)}, kept ${(energy.kept / silero.kept).toFixed(2)}, CPU ${(energy.cpuSecPerHour / silero.cpuSecPerHour).toFixed(2)}`);
    console.log(`goal (Silero recall >= 99 %, kept <= 40 % on a 30 % speech set): ${silero.recall >= 0.99 && silero.kept <= 0.4 ? 'met' : 'NOT met'}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
