import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeAll } from '../../daemon/audio/decode-file.js';
import { prng } from '../../test/helpers/prng.js';

/**
 * Builds a VAD evaluation set from real speech: utterances from the Free Spoken Digit
 * Dataset, grouped into talk turns and placed between stretches of silence and sox-made
 * noise (hum/buzz, rumble, fan hiss) over a quiet pink-noise bed, at known sample offsets
 * so that every speech sample is labelled exactly.
 */

const RATE = 16000;

export interface EvalSet {
  audio: Float32Array;
  /** 1 where a sample belongs to an utterance. */
  speech: Uint8Array;
  utterances: number;
  turns: number;
  speakers: string[];
}


/** Noise made by sox, `seconds` long, 16 kHz mono; `-R` makes it the same on every run. */
async function soxNoise(dir: string, name: string, seconds: number, synth: string[]): Promise<Float32Array> {
  const path = join(dir, `${name}.wav`);
  const run = spawnSync('sox', ['-R', '-n', '-r', String(RATE), '-b', '16', '-c', '1', path, 'synth', String(seconds), ...synth]);
  if (run.status !== 0) {
    throw new Error(`sox could not make ${name} noise (${run.error?.message ?? run.stderr?.toString().trim()}); install it: apt-get install sox`);
  }
  return decodeAll(path);
}

/**
 * The utterance without the silent edges FSDD left in (a few files carry a second of
 * silence after the word): 10 ms frames whose RMS is more than 35 dB under the loudest
 * frame's, or under -65 dBFS (the recordings' own noise floor), count as silence, and the
 * word is the stretch around its loudest frame up to 150 ms of silence on either side.
 */
function trimEdges(x: Float32Array): Float32Array {
  const frame = RATE / 100;
  const frames = Math.ceil(x.length / frame);
  const rms = Array.from({ length: frames }, (_, f) => {
    let e = 0;
    const end = Math.min(x.length, (f + 1) * frame);
    for (let i = f * frame; i < end; i++) e += x[i]! * x[i]!;
    return Math.sqrt(e / (end - f * frame));
  });
  const threshold = Math.max(Math.max(...rms) * 10 ** (-35 / 20), 10 ** (-65 / 20));
  // Grow outwards from the loudest frame; 150 ms under the threshold ends the word (so a
  // click after a second of silence is not taken for speech).
  const loudest = rms.indexOf(Math.max(...rms));
  const edge = (step: 1 | -1) => {
    let last = loudest;
    let quiet = 0;
    for (let f = loudest; f >= 0 && f < frames && quiet < 15; f += step) {
      if (rms[f]! >= threshold) {
        last = f;
        quiet = 0;
      } else quiet++;
    }
    return last;
  };
  const first = edge(-1);
  const last = edge(1);
  return x.subarray(first * frame, Math.min(x.length, (last + 1) * frame));
}

export async function buildEvalSet(speechDir: string, options: { minutes: number; speechShare: number; seed: number; workDir: string }): Promise<EvalSet> {
  const fsdd = join(speechDir, 'fsdd');
  const tsv = join(fsdd, 'transcripts.tsv');
  if (!existsSync(tsv)) throw new Error(`${tsv} not found: pass the shared speech folder (e.g. ../shared/speech) that holds fsdd/`);
  const ids = readFileSync(tsv, 'utf8')
    .split('\n')
    .map((l) => l.split('\t')[0]!)
    .filter(Boolean);
  const rand = prng(options.seed);
  const total = Math.round(options.minutes * 60 * RATE);
  const speechTarget = total * options.speechShare;

  // Talk turns: 3-10 digits with the short gaps of connected speech (30-120 ms), like reading out a number.
  const turns: Float32Array[][] = [];
  const gapsInTurns: number[][] = [];
  const speakers = new Set<string>();
  let speechSamples = 0;
  let utterances = 0;
  while (speechSamples < speechTarget) {
    const n = 3 + Math.floor(rand() * 8);
    const turn: Float32Array[] = [];
    const gaps: number[] = [];
    for (let i = 0; i < n && speechSamples < speechTarget; i++) {
      const id = ids[Math.floor(rand() * ids.length)]!;
      speakers.add(id.split('_')[1]!);
      const u = trimEdges(await decodeAll(join(fsdd, 'wav', `${id}.wav`)));
      turn.push(u);
      gaps.push(Math.round((0.03 + rand() * 0.09) * RATE));
      speechSamples += u.length;
      utterances++;
    }
    turns.push(turn);
    gapsInTurns.push(gaps);
  }
  const turnLengths = turns.map((turn, i) => turn.reduce((a, u) => a + u.length, 0) + gapsInTurns[i]!.slice(0, -1).reduce((a, g) => a + g, 0));
  // Spread the remaining time over the pauses between turns (and before the first / after the last), unevenly.
  const pauseTotal = total - turnLengths.reduce((a, b) => a + b, 0);
  const weights = Array.from({ length: turns.length + 1 }, () => 0.3 + rand());
  const wsum = weights.reduce((a, b) => a + b, 0);
  const pauses = weights.map((w) => Math.floor((pauseTotal * w) / wsum));

  // Noise: a quiet pink bed everywhere, and in each pause one of silence, buzz, rumble, hiss.
  const noiseSec = 60;
  const bed = await soxNoise(options.workDir, 'bed', noiseSec, ['pinknoise', 'vol', '0.004']);
  const events = [
    null,
    await soxNoise(options.workDir, 'buzz', noiseSec, ['square', '50', 'vol', '0.03', 'lowpass', '400']),
    await soxNoise(options.workDir, 'rumble', noiseSec, ['brownnoise', 'vol', '0.05']),
    await soxNoise(options.workDir, 'hiss', noiseSec, ['whitenoise', 'vol', '0.01', 'lowpass', '3000']),
  ];
  const audio = new Float32Array(pauses.reduce((a, b) => a + b, 0) + turnLengths.reduce((a, b) => a + b, 0));
  const speech = new Uint8Array(audio.length);
  for (let i = 0; i < audio.length; i++) audio[i] = bed[i % bed.length]!;
  let pos = 0;
  for (let k = 0; k <= turns.length; k++) {
    const event = events[Math.floor(rand() * events.length)] ?? null;
    const len = pauses[k]!;
    if (event) {
      // Noise events come and go on their own schedule, not in step with the talkers: a
      // random stretch of the pause, with short fades so its edges are not clicks.
      const from = Math.floor(rand() * len * 0.5);
      const evLen = Math.floor((len - from) * (0.3 + 0.7 * rand()));
      const fade = Math.min(800, evLen / 2);
      for (let i = 0; i < evLen; i++) {
        const g = Math.min(1, i / fade, (evLen - 1 - i) / fade);
        audio[pos + from + i]! += event[(pos + from + i) % event.length]! * g;
      }
    }
    pos += len;
    if (k === turns.length) break;
    turns[k]!.forEach((u, i) => {
      for (let j = 0; j < u.length; j++) {
        audio[pos + j]! += u[j]!;
        speech[pos + j] = 1;
      }
      pos += u.length;
      if (i < turns[k]!.length - 1) pos += gapsInTurns[k]![i]!;
    });
  }
  return { audio, speech, utterances, turns: turns.length, speakers: [...speakers].sort() };
}
