import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';

/** The repository root, found from this compiled file (dist/test/helpers/paths.js) or its source. */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package-lock.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('repository root not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

export const repoRoot = findRoot();
/** Committed test fixtures (real files): test/fixtures/... */
export const fixturesDir = join(repoRoot, 'test', 'fixtures');
/** Compiled JavaScript output. */
export const distDir = join(repoRoot, 'dist');

export function tempDir(prefix = 'earshot-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
