/**
 * bench/wer: word and character error rates of Earshot's default model and of Debian's
 * pocketsphinx (en-us) on the same real recordings, in one run, with the real-time factor of
 * each. The same model under sherpa-onnx-node is a third column, which shows that Earshot's
 * engine gives the peer runtime's text on real speech too.
 *
 *   node dist/bench/wer/run.js ../shared/speech [--model DIR] [--limit N] [--json FILE]
 *
 * Every recording is first resampled once with sox to 16 kHz mono 16-bit, and all three
 * systems read that same file. RTF = decode CPU time / audio duration, single thread (CPU
 * time, because on a shared box wall time measures the neighbours too); for pocketsphinx the
 * one-off model load (measured on a one-file batch) is subtracted.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectModel } from '../../daemon/asr/models/detect.js';
import { loadModel } from '../../daemon/asr/recognizer.js';
import { readWavFile } from '../../daemon/asr/wav-file.js';
import { packageRoot } from '../../daemon/paths.js';
import { SherpaOffline } from '../../test/parity/sherpa-peer.js';
import { errorRates, type ErrorRates } from './error-rate.js';
import { pocketsphinxBatch } from './pocketsphinx.js';
import { findSets, subsample, type SpeechSet } from './speech-sets.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

interface SystemScore extends ErrorRates {
  system: string;
  rtf: number;
}

interface SetReport {
  set: string;
  utterances: number;
  audioSec: number;
  scores: SystemScore[];
  earshotEqualsSherpa: number;
  samples: { id: string; reference: string; earshot: string; pocketsphinx: string }[];
}

const root = process.argv[2] && !process.argv[2].startsWith('--') ? process.argv[2] : join(packageRoot, '..', 'shared', 'speech');
const modelDir = arg('model') ?? join(packageRoot, 'models', 'earshot-en-tiny');
const limit = Number(arg('limit') ?? 300);
const jsonOut = arg('json');

/** CPU seconds of this process since `start` (all its threads). */
function cpuSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1e6;
}

async function runSet(set: SpeechSet, work: string): Promise<SetReport> {
  const wavDir = join(work, set.name);
  mkdirSync(wavDir, { recursive: true });
  for (const u of set.utterances) {
    execFileSync('sox', [u.wav, '-r', '16000', '-c', '1', '-b', '16', '-e', 'signed-integer', join(wavDir, `${u.id}.wav`)]);
  }
  const audio = set.utterances.map((u) => readWavFile(join(wavDir, `${u.id}.wav`)).samples);
  const audioSec = audio.reduce((s, a) => s + a.length / 16000, 0);

  const model = await loadModel(modelDir, { providers: ['cpu'], threads: 1 });
  const earshot: string[] = [];
  let t0 = process.cpuUsage();
  for (const a of audio) earshot.push((await model.transcribe(a)).text);
  const earshotSec = cpuSince(t0);
  await model.release();

  const sherpa = new SherpaOffline(modelDir, detectModel(modelDir).family, 1);
  const sherpaText: string[] = [];
  t0 = process.cpuUsage();
  for (const a of audio) sherpaText.push(sherpa.transcribe(a).text.trim());
  const sherpaSec = cpuSince(t0);

  const ids = set.utterances.map((u) => u.id);
  const warm = pocketsphinxBatch(wavDir, ids.slice(0, 1), work);
  const ps = pocketsphinxBatch(wavDir, ids, work);
  // warm = load + first file, ps = load + all files: the difference is the decode of the rest
  const firstSec = audio[0]!.length / 16000;
  const psDecodeSec = (Math.max(0, ps.cpuSec - warm.cpuSec) * audioSec) / Math.max(1e-9, audioSec - firstSec);
  const pocket = ids.map((id) => ps.hypotheses.get(id) ?? '');

  const score = (system: string, hyps: string[], sec: number): SystemScore => ({
    system,
    rtf: sec / audioSec,
    ...errorRates(set.utterances.map((u, i) => ({ reference: u.reference, hypothesis: hyps[i]! }))),
  });
  return {
    set: set.name,
    utterances: ids.length,
    audioSec,
    scores: [score('earshot (earshot-en-tiny)', earshot, earshotSec), score('sherpa-onnx (same model)', sherpaText, sherpaSec), score('pocketsphinx en-us', pocket, psDecodeSec)],
    earshotEqualsSherpa: earshot.filter((e, i) => e.trim() === sherpaText[i]).length,
    samples: set.utterances.slice(0, 8).map((u, i) => ({ id: u.id, reference: u.reference, earshot: earshot[i]!, pocketsphinx: pocket[i]! })),
  };
}

const work = mkdtempSync(join(tmpdir(), 'earshot-bench-wer-'));
const reports: SetReport[] = [];
for (const set of findSets(root)) reports.push(await runSet(subsample(set, limit), work));

const pct = (x: number) => `${(x * 100).toFixed(1)}%`.padStart(7);
console.log(`bench/wer  model=${modelDir}  speech=${root}  (<= ${limit} utterances per set, every k-th by id)`);
for (const r of reports) {
  console.log(`\n${r.set}: ${r.utterances} utterances, ${r.audioSec.toFixed(1)} s of audio`);
  console.log('system                         WER      CER      RTF');
  for (const s of r.scores) console.log(`${s.system.padEnd(28)} ${pct(s.wer)}  ${pct(s.cer)}  ${s.rtf.toFixed(4)}`);
  const e = r.scores[0]!;
  const p = r.scores[2]!;
  console.log(`WER ratio earshot/pocketsphinx = ${(e.wer / Math.max(p.wer, 1e-9)).toFixed(3)}; RTF ratio = ${(e.rtf / Math.max(p.rtf, 1e-9)).toFixed(3)}`);
  console.log(`earshot text == sherpa-onnx text on ${r.earshotEqualsSherpa}/${r.utterances} utterances`);
  for (const s of r.samples) console.log(`  ${s.id}: ref "${s.reference}" | earshot "${s.earshot}" | pocketsphinx "${s.pocketsphinx}"`);
}
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(reports, null, 2) + '\n');
