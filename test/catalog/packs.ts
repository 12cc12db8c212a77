/** Real model pack archives for the install tests, built with the system tar from the ASR fixtures. */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { fixturesDir, tempDir } from '../helpers/paths.js';
import { fixChecksum } from './raw-tar.js';

export const nemoFixture = join(fixturesDir, 'asr', 'models', 'nemo-ctc');

/** A sherpa-onnx style pack: NAME.tar.bz2 holding NAME/model.onnx, NAME/tokens.txt, NAME/README.md. */
export function makePack(name: string, dir = tempDir('earshot-pack-')): string {
  const src = join(dir, 'src');
  mkdirSync(join(src, name), { recursive: true });
  cpSync(join(nemoFixture, 'model.onnx'), join(src, name, 'model.onnx'));
  cpSync(join(nemoFixture, 'tokens.txt'), join(src, name, 'tokens.txt'));
  writeFileSync(join(src, name, 'README.md'), `# ${name}\ntest pack\n`);
  const archive = join(dir, `${name}.tar.bz2`);
  execFileSync('tar', ['-cjf', archive, '-C', src, name]);
  return archive;
}

export function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** A catalog file with one pack entry; extra fields override the defaults. */
export function writeCatalog(dir: string, pack: Record<string, unknown>): string {
  const path = join(dir, 'catalog.json');
  writeFileSync(path, JSON.stringify({ version: 1, packs: [{ family: 'nemo-ctc', languages: ['en'], sizeBytes: 1000, licence: 'Apache-2.0', description: 'test', ...pack }] }));
  return path;
}

/**
 * Writes `name` into the group-name field of the first header of an uncompressed ustar
 * archive and fixes the header checksum: GNU tar will not take such names on the command line.
 */
export function setFirstGroupName(tarPath: string, name: string): void {
  const bytes = readFileSync(tarPath);
  const GNAME = 297;
  bytes.fill(0, GNAME, GNAME + 32).write(name, GNAME, 'latin1');
  fixChecksum(bytes);
  writeFileSync(tarPath, bytes);
}
