/**
 * Removes the compiled tests in dist/test whose TypeScript source is gone (a test deleted or
 * renamed since an earlier build): npm test runs every dist/test/**\/*.test.js, and tsc -b never
 * removes what it compiled from a source that no longer exists, so a stale copy would run
 * (and fail, or pass for code it no longer tests). npm run build runs this after tsc.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { packageRoot } from '../daemon/paths.js';

const compiledTests = join(packageRoot, 'dist', 'test');
const suffix = '.test.js';

let removed = 0;
for (const entry of existsSync(compiledTests) ? readdirSync(compiledTests, { recursive: true, withFileTypes: true }) : []) {
  if (!entry.isFile() || !entry.name.endsWith(suffix)) continue;
  const compiled = join(entry.parentPath, entry.name);
  const source = join(packageRoot, relative(join(packageRoot, 'dist'), compiled)).slice(0, -'.js'.length) + '.ts';
  if (existsSync(source)) continue;
  // With the map and the declarations tsc wrote beside it.
  for (const ext of ['', '.map']) rmSync(compiled + ext, { force: true });
  for (const ext of ['.d.ts', '.d.ts.map']) rmSync(compiled.slice(0, -'.js'.length) + ext, { force: true });
  console.log(`removed ${relative(packageRoot, compiled)}: ${relative(packageRoot, source)} is gone`);
  removed++;
}
if (removed === 0) console.log('dist/test: every compiled test has its source');
