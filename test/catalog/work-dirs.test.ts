import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installModel } from '../../daemon/catalog/install.js';
import { parseWorkDir } from '../../daemon/catalog/work-dirs.js';
import { tempDir } from '../helpers/paths.js';
import { childEnv, loaderArgs, scriptPath } from '../scheduler/helpers/spawn-node.js';
import { makePack, nemoFixture } from './packs.js';

const emptyCatalog = { version: 1, packs: [] };
const removeScript = scriptPath(import.meta.url, join(dirname(fileURLToPath(import.meta.url)), 'helpers'), 'remove-tree');
const NOBODY = 65534;

/** A pid that no process has any more: that of a child that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid;
}

/** A directory tree as a pack with locked directories leaves it: mode 000 and 0500 dirs holding files. */
function lockedTree(parent: string, name: string): string {
  const top = join(parent, name);
  mkdirSync(join(top, 'pack', 'locked'), { recursive: true });
  mkdirSync(join(top, 'pack', 'read-only'), { recursive: true });
  writeFileSync(join(top, 'pack', 'locked', 'a.bin'), 'a');
  writeFileSync(join(top, 'pack', 'read-only', 'b.bin'), 'b');
  chmodSync(join(top, 'pack', 'locked'), 0o000);
  chmodSync(join(top, 'pack', 'read-only'), 0o500);
  return top;
}

t.test('removeTree deletes directories a pack left without write or search permission, as a non-root user', async (t) => {
  const parent = tempDir();
  const top = lockedTree(parent, 'staging');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    // the test machine runs as root, for whom modes do not matter: the removal runs as nobody
    execFileSync('chown', ['-R', `${NOBODY}:${NOBODY}`, parent]);
  }
  const run = spawnSync(process.execPath, [...loaderArgs(), removeScript, top], { env: childEnv(), encoding: 'utf8', ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}) });
  // stdout, not the exit status: tap's process tracking, inherited by the child, fails its exit hook as nobody
  t.equal(run.stdout, 'removed\n', 'the child removed the tree without an error');
  if (run.stdout !== 'removed\n') t.comment(run.stderr);
  t.notOk(existsSync(top), 'the tree is gone');
});

t.test('work directory names: the model, the pid of the process using it, and whether it holds a replaced model', async (t) => {
  t.same(parseWorkDir('.staging-tiny-nemo-4242-aB3dE9'), { name: 'tiny-nemo', pid: 4242, replaced: false });
  t.same(parseWorkDir('.staging-model-2-4242-aB3dE9.old'), { name: 'model-2', pid: 4242, replaced: true });
  t.same(parseWorkDir('.staging-tiny-nemo-aB3dE9.old'), { name: 'tiny-nemo', pid: undefined, replaced: true }, 'made before the pid was in the name');
  t.same(parseWorkDir('.removing-tiny-nemo-4242'), { name: 'tiny-nemo', pid: 4242, replaced: false });
  t.equal(parseWorkDir('.downloads'), undefined);
  t.equal(parseWorkDir('tiny-nemo'), undefined);
});

t.test('an install sweeps what interrupted installs and removals left, restoring a model caught between two renames', async (t) => {
  const modelsDir = join(tempDir(), 'models');
  mkdirSync(join(modelsDir, '.downloads'), { recursive: true });
  writeFileSync(join(modelsDir, '.downloads', 'other.tar.bz2.part'), 'resumable');
  const dead = deadPid();
  // killed after moving the installed 'kept' aside and before moving its replacement in
  const setAside = join(modelsDir, `.staging-kept-${dead}-Ab12Cd.old`);
  mkdirSync(setAside);
  cpSync(join(nemoFixture, 'model.onnx'), join(setAside, 'model.onnx'));
  writeFileSync(join(setAside, 'marker'), 'the old kept');
  // its half-built replacement, with a directory the pack locked
  lockedTree(modelsDir, `.staging-kept-${dead}-Ab12Cd`);
  // killed after the replacement was in place: the set-aside copy is garbage
  mkdirSync(join(modelsDir, 'done'));
  mkdirSync(join(modelsDir, `.staging-done-${dead}-Zz99yy.old`));
  mkdirSync(join(modelsDir, `.removing-gone-${dead}`));
  mkdirSync(join(modelsDir, '.staging-legacy-Qq11ww'));
  // an install running right now in this process: not to be touched
  const busy = join(modelsDir, `.staging-busy-${process.pid}-Aa00aa`);
  mkdirSync(busy);

  await installModel({ source: makePack('tiny-nemo'), modelsDir, catalog: emptyCatalog });
  t.same(readdirSync(modelsDir).sort(), ['.downloads', `.staging-busy-${process.pid}-Aa00aa`, 'done', 'kept', 'tiny-nemo']);
  t.equal(readFileSync(join(modelsDir, 'kept', 'marker'), 'utf8'), 'the old kept', 'the set-aside model is back under its name');
  t.same(readdirSync(join(modelsDir, '.downloads')), ['other.tar.bz2.part'], 'partial downloads are kept for resuming');
});
