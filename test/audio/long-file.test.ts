import t from 'tap';
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/paths.js';
import { wavHeader } from '../../daemon/audio/wav-writer.js';

const HOURS = 2;
const RATE = 16000;

/**
 * Writes a 2-hour 16-bit mono WAV a block at a time (never whole in memory): a 10 s block,
 * 3 s of modulated noise bursts (speech-like for the energy detector) then 7 s of a quiet
 * floor, made once and written 720 times, so that writing costs little next to decoding.
 */
function writeLongWav(path: string): number {
  const total = HOURS * 3600 * RATE;
  const header = wavHeader({ format: 'pcm', bitsPerSample: 16, sampleRate: RATE, channels: 1, dataBytes: total * 2 });
  const block = new Int16Array(10 * RATE);
  let seed = 12345;
  for (let i = 0; i < block.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const noise = (seed / 2 ** 32) * 2 - 1;
    // 4 Hz (syllable-rate) amplitude modulation, like speech's envelope; then the floor.
    const amp = i < 3 * RATE ? 0.3 * (0.6 + 0.4 * Math.sin((2 * Math.PI * 4 * i) / RATE)) : 0.002;
    block[i] = noise * amp * 32767;
  }
  const fd = openSync(path, 'w');
  writeSync(fd, header);
  // Int16Array bytes are little-endian on every platform Node supports here.
  for (let b = 0; b < total / block.length; b++) writeSync(fd, block);
  closeSync(fd);
  return total;
}

t.test('a 2-hour WAV streams through decode + VAD with peak RSS under 300 MB', async (t) => {
  const dir = tempDir();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const wav = join(dir, 'two-hours.wav');
  const samples = writeLongWav(wav);
  t.equal(statSync(wav).size, 44 + samples * 2);
  // Same loader flags as this process, so the worker runs from source (tap) or from dist (CI).
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const worker = fileURLToPath(new URL(`./long-file-worker${ext}`, import.meta.url));
  const child = spawnSync(process.execPath, [...process.execArgv, worker, wav], { encoding: 'utf8', timeout: 120_000 });
  t.equal(child.status, 0, child.stderr);
  const report = JSON.parse(child.stdout.trim().split('\n').pop()!) as {
    durationSec: number;
    segments: number;
    longestSec: number;
    maxRssMb: number;
    baseRssMb: number;
    cpuSec: number;
  };
  t.equal(report.durationSec, HOURS * 3600, 'every sample decoded');
  t.ok(Math.abs(report.segments - HOURS * 360) <= 2, `${report.segments} segments, one per burst`);
  t.ok(report.longestSec < 4, `bursts are cut as such (longest ${report.longestSec} s)`);
  t.ok(report.maxRssMb < 300, `peak RSS ${report.maxRssMb.toFixed(1)} MB (CPU ${report.cpuSec.toFixed(1)} s)`);
  // Run from source, tap's TypeScript loader alone takes ~250 MB; the pipeline must stay small on top.
  t.ok(report.maxRssMb - report.baseRssMb < 100, `growth while processing ${(report.maxRssMb - report.baseRssMb).toFixed(1)} MB`);
});
