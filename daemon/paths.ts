import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The installed package's root (where package.json, config.schema.json, models/ and
 * plugins/ live), found by walking up from this module: the same code runs from
 * `daemon/` under a TS loader and from `dist/daemon/` when compiled.
 */
function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const name = (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name;
      if (name === 'earshot') return dir;
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`earshot package root not found above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

export const packageRoot = findPackageRoot();

export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
}

export const configSchemaPath = join(packageRoot, 'config.schema.json');
