#!/usr/bin/env node
// The earshot CLI: oclif finds its commands in dist/daemon/cli/commands (see package.json "oclif").
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Plugin, execute } from '@oclif/core';

// oclif.manifest.json (npm run build writes it after tsc) lists the commands and their flags,
// so that oclif imports only the command run. One older than the last tsc build may lack
// commands added since or name files gone: it is not read, and oclif reads the commands
// themselves. It is left where it is, not removed: an install owned by root is run by
// operators who may not remove it, and the next npm run build replaces it.
const root = fileURLToPath(new URL('..', import.meta.url));
const mtime = (file) => statSync(new URL(file, new URL('..', import.meta.url)), { throwIfNoEntry: false })?.mtimeMs;
const built = mtime('dist/.tsbuildinfo');
const listed = mtime('oclif.manifest.json');
if (listed !== undefined && built !== undefined && listed < built) {
  const commands = new Plugin({ root, type: 'core', isRoot: true, ignoreManifest: true });
  await commands.load();
  await execute({ loadOptions: { root, plugins: new Map([[commands.name, commands]]) } });
} else {
  await execute({ dir: import.meta.url });
}
