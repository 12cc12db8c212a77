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
if (listed !== undefined && built !== undefined && listed < built) rmSync(manifest, { force: true });

await execute({ dir: import.meta.url });
