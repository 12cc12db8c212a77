import t from 'tap';
import { existsSync, truncateSync, statSync } from 'node:fs';
import { join } from 'node:path';
import ModelInstall from '../../daemon/cli/commands/model/install.js';
import ModelList, { type ModelListResult } from '../../daemon/cli/commands/model/list.js';
import ModelRemove from '../../daemon/cli/commands/model/remove.js';
import type { InstallResult } from '../../daemon/catalog/install.js';
import { MODEL_FAMILIES } from '../../daemon/asr/types.js';
import { repoRoot, tempDir } from '../helpers/paths.js';
import { makePack } from './packs.js';

/** Runs a command in-process, keeping its output off the test's stdout. */
async function quiet<T>(fn: () => Promise<T>): Promise<{ value: T; stdout: string }> {
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  let stdout = '';
  process.stdout.write = ((c: string | Uint8Array) => ((stdout += c.toString()), true)) as typeof process.stdout.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    return { value: await fn(), stdout };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

t.test('earshot model install ./pack, list, remove with --data-dir', async (t) => {
  const dataDir = tempDir();
  const archive = makePack('cli-nemo');
  const ran = await quiet(() => ModelInstall.run([archive, '--data-dir', dataDir, '--json'], repoRoot));
  const installed: InstallResult = await ran.value;
  const stdout = ran.stdout;
  t.equal(installed.dir, join(dataDir, 'models', 'cli-nemo'));
  t.same(JSON.parse(stdout).name, 'cli-nemo', '--json prints the result');
  const text = (await quiet(() => ModelInstall.run([archive, '--data-dir', dataDir, '--force'], repoRoot))).stdout;
  t.match(text, `installed cli-nemo (nemo-ctc) in ${installed.dir}, replacing the previous one`);
  t.match(text, `to use it: "model": { "dir": ${JSON.stringify(installed.dir)} } in the daemon's config, then restart the daemon`, 'says how the daemon comes to use it');

  const list: ModelListResult = await (await quiet(() => ModelList.run(['--data-dir', dataDir, '--available', '--json'], repoRoot))).value;
  const names = list.installed.map((m) => m.name);
  t.ok(names.includes('cli-nemo'));
  t.equal(list.installed.find((m) => m.name === 'cli-nemo')!.family, 'nemo-ctc');
  t.ok(list.available!.some((p) => p.family === 'sense-voice' && p.runnable));
  for (const p of list.available!) t.equal(p.runnable, (MODEL_FAMILIES as readonly string[]).includes(p.family), `${p.name}: runnable flag`);

  await quiet(() => ModelRemove.run(['cli-nemo', '--data-dir', dataDir], repoRoot));
  t.notOk(existsSync(installed.dir));
  await t.rejects(quiet(() => ModelRemove.run(['cli-nemo', '--data-dir', dataDir], repoRoot)), /'cli-nemo' is not installed/);
  await t.rejects(quiet(() => ModelRemove.run(['earshot-en-tiny', '--data-dir', dataDir], repoRoot)), /'earshot-en-tiny' is the bundled default model: it ships with earshot and cannot be removed/);
  // oclif may mark the process failed for the expected error above; that failure was the point
  process.exitCode = 0;
});

t.test('earshot model install of a corrupt archive fails with the reason and installs nothing', async (t) => {
  const dataDir = tempDir();
  const archive = makePack('cli-bad');
  truncateSync(archive, Math.floor(statSync(archive).size / 3));
  await t.rejects(quiet(() => ModelInstall.run([archive, '--data-dir', dataDir], repoRoot)), { message: /cli-bad\.tar\.bz2: not a readable bzip2 stream \(bzip2: Compressed file ends unexpectedly\); the file is corrupt or incomplete, download it again/, oclif: { exit: 1 } });
  t.notOk(existsSync(join(dataDir, 'models', 'cli-bad')));
  process.exitCode = 0;
});
