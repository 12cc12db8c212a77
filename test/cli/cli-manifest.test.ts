import t, { type Test } from 'tap';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, type CliResult } from '../helpers/daemon-process.js';
import { distDir, repoRoot, tempDir } from '../helpers/paths.js';

/**
 * bin/earshot.js and oclif.manifest.json against real CLI runs, in a package root of their
 * own: a copy of bin/earshot.js and package.json, dist and node_modules linked to the
 * repository's. The folder is read-only and, when the tests run as root, the CLI runs as
 * nobody: an operator running an install that root built, who may not remove its files.
 */
function installedTree(t: Test, manifestAgeS: number): string {
  const root = tempDir('earshot-cli-manifest-');
  mkdirSync(join(root, 'bin'));
  copyFileSync(join(repoRoot, 'bin', 'earshot.js'), join(root, 'bin', 'earshot.js'));
  copyFileSync(join(repoRoot, 'package.json'), join(root, 'package.json'));
  symlinkSync(distDir, join(root, 'dist'));
  symlinkSync(join(repoRoot, 'node_modules'), join(root, 'node_modules'));
  // A manifest that lists no command: any command found was read from dist, not from it.
  const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  const manifest = join(root, 'oclif.manifest.json');
  writeFileSync(manifest, JSON.stringify({ version, commands: {} }));
  const at = statSync(join(distDir, '.tsbuildinfo')).mtimeMs / 1000 + manifestAgeS;
  utimesSync(manifest, at, at);
  chmodSync(root, 0o555);
  // Writable again for the removal at exit, when the tests do not run as root.
  t.teardown(() => chmodSync(root, 0o755));
  return root;
}

/** The tree's CLI, as nobody when the tests run as root. */
const earshot = (root: string, args: string[]): Promise<CliResult> =>
  runCli(args, {}, process.getuid?.() === 0 ? { user: 'nobody', group: 'nogroup' } : undefined, join(root, 'bin', 'earshot.js'));

t.test('a manifest older than the last tsc build is not read, and left in place; a newer one is read', async (t) => {
  // Root ran tsc -b (an upgrade) but not npm run build: the manifest lacks what was added since.
  const stale = installedTree(t, -60);
  const run = await earshot(stale, ['energy', '--help']);
  t.equal(run.code, 0, run.stderr);
  t.match(run.stdout, /USAGE\s+\$ earshot energy/, 'the command is found in dist, not looked up in the stale manifest');
  t.ok(existsSync(join(stale, 'oclif.manifest.json')), 'the manifest is left for the next npm run build to replace');

  const fresh = installedTree(t, 60);
  const listed = await earshot(fresh, ['energy', '--help']);
  t.not(listed.code, 0, 'a manifest newer than the build is what oclif reads commands from');
  t.match(listed.stderr, /command energy not found/i);
});
