/**
 * Model pack unpacking against GNU tar: the same archive (a model-sized file of weights
 * that compress like real ONNX floats, plus a tokens file) in each compression,
 * unpacked by our reader (extractArchive) and by `tar -x`; prints wall time of each, the
 * ratio, and checks the two trees hold the same bytes. Wall time, since both sides spend
 * most of it in the same decompressor program (bzip2, xz) or in zlib.
 *
 *   node dist/bench/catalog/unpack.js [--mb 64] [--runs 3]
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { extractArchive } from '../../daemon/catalog/archive.js';

const { values } = parseArgs({ options: { mb: { type: 'string', default: '64' }, runs: { type: 'string', default: '3' } } });
const MB = Number(values.mb);
const RUNS = Number(values.runs);

/**
 * Float32 weights around zero, like a trained model's: random mantissas, so they compress
 * about as little as real ONNX weights do (a few percent).
 */
function weights(bytes: number): Buffer {
  const bits = randomBytes(bytes);
  const floats = new Float32Array(bytes / 4);
  for (let i = 0; i < floats.length; i++) floats[i] = (bits.readUInt32LE(i * 4) / 2 ** 32 - 0.5) * 0.2;
  return Buffer.from(floats.buffer);
}

function digest(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const work = mkdtempSync(join(tmpdir(), 'earshot-bench-unpack-'));
const src = join(work, 'src', 'pack');
mkdirSync(src, { recursive: true });
writeFileSync(join(src, 'model.onnx'), weights(MB * 1024 * 1024));
writeFileSync(join(src, 'tokens.txt'), Array.from({ length: 500 }, (_, i) => `tok${i} ${i}`).join('\n'));
const expected = digest(join(src, 'model.onnx'));

console.log(`model pack of ${MB} MB weights, median of ${RUNS} runs (wall time)`);
console.log('compression | archive MB | earshot ms | GNU tar ms | earshot / tar');
for (const [flag, name] of [['-z', 'gzip'], ['-j', 'bzip2'], ['-J', 'xz'], ['', 'none']] as const) {
  const archive = join(work, `pack.${name}.tar`);
  execFileSync('tar', ['-c', ...(flag ? [flag] : []), '-f', archive, '-C', join(work, 'src'), 'pack']);
  const size = readFileSync(archive).length / 1024 / 1024;
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const a = join(work, `ours-${run}`);
    mkdirSync(a);
    let t0 = performance.now();
    await extractArchive(archive, a);
    ours.push(performance.now() - t0);
    if (digest(join(a, 'pack', 'model.onnx')) !== expected) throw new Error(`${name}: our unpacking changed the model's bytes`);
    const b = join(work, `tar-${run}`);
    mkdirSync(b);
    t0 = performance.now();
    execFileSync('tar', ['-x', ...(flag ? [flag] : []), '-f', archive, '-C', b]);
    theirs.push(performance.now() - t0);
    rmSync(a, { recursive: true });
    rmSync(b, { recursive: true });
  }
  const [o, g] = [median(ours), median(theirs)];
  console.log(`${name.padEnd(11)} | ${size.toFixed(1).padStart(10)} | ${o.toFixed(0).padStart(10)} | ${g.toFixed(0).padStart(10)} | ${(o / g).toFixed(2)}`);
}
rmSync(work, { recursive: true });
