import { fileURLToPath } from 'node:url';
import { dirname, join, relative, sep } from 'node:path';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
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

/**
 * The path a stack trace gives for the module at `moduleUrl`: the module itself, or, for a
 * test compiled into dist/ and run with source maps (tap passes --enable-source-maps; npm test
 * runs the compiled tests), the TypeScript source that the map points back to.
 */
export function stackPathOf(moduleUrl: string): string {
  const file = fileURLToPath(moduleUrl);
  if (!process.sourceMapsEnabled || !file.startsWith(distDir + sep)) return file;
  return join(repoRoot, relative(distDir, file)).replace(/\.js$/, '.ts');
}

/**
 * A fresh folder under the system's temp dir, removed when this test file's process exits, so
 * that runs of the suite do not pile up in /tmp (a full run made ~500 MB of daemons' data dirs,
 * model copies and brokers' files). EARSHOT_KEEP_TEST_DIRS=1 keeps them to look at a failure.
 */
export function tempDir(prefix = 'earshot-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (!process.env['EARSHOT_KEEP_TEST_DIRS']) removeAtExit(dir);
  return dir;
}

const toRemove: string[] = [];

function removeAtExit(dir: string): void {
  if (toRemove.push(dir) === 1) process.on('exit', removeAll);
}

/** Runs in the 'exit' event, so it must be synchronous; a folder a test left mounted, or one a
 *  child still writes to, is left where it is rather than failing the test file at exit. */
function removeAll(): void {
  for (const dir of toRemove) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // left behind: nothing a test asserts depends on it
    }
  }
}
