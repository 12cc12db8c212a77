#!/usr/bin/env node
// The earshot CLI: oclif finds its commands in dist/daemon/cli/commands (see package.json "oclif").
import { rmSync, statSync } from 'node:fs';
import { execute } from '@oclif/core';

// oclif.manifest.json (npm run build writes it after tsc) lists the commands and their flags,
// so that oclif imports only the command run. One older than the last tsc build may describe
// commands or flags that changed: it goes, and oclif reads the commands themselves.
const manifest = new URL('../oclif.manifest.json', import.meta.url);
const mtime = (file) => statSync(file, { throwIfNoEntry: false })?.mtimeMs;
const built = mtime(new URL('../dist/.tsbuildinfo', import.meta.url));
const listed = mtime(manifest);
if (listed !== undefined && built !== undefined && listed < built) {
  try {
    rmSync(manifest, { force: true });
  } catch {
    // Not ours to remove (an install owned by root, run by an operator): the build that wrote
    // it is the one installed, its times only reordered by a copy, so it is used as it is.
  }
}

await execute({ dir: import.meta.url });
