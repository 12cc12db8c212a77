import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

/**
 * The fuzz corpus kept in the repository (test/fuzz/corpus/<target>/): inputs a longer
 * coverage-guided run found to reach new code, so the short CI runs start from there rather
 * than from the fixtures alone.
 */
export const corpusRoot = join(repoRoot, 'test', 'fuzz', 'corpus');

export function readCorpus(target: string): Buffer[] {
  const dir = join(corpusRoot, target);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .map((f) => readFileSync(join(dir, f)));
}

export function writeCorpus(dir: string, inputs: readonly Buffer[]): void {
  mkdirSync(dir, { recursive: true });
  inputs.forEach((input, i) => writeFileSync(join(dir, `found-${String(i).padStart(4, '0')}.bin`), input));
}
