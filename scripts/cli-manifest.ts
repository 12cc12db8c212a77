/**
 * Writes oclif.manifest.json: every command's id, flags and arguments, read once at build
 * time (npm run build runs this after tsc). Without it oclif imports all commands, with
 * everything they import, on every run of the CLI to find the one asked for: about half of
 * a command's start-up. bin/earshot.js does not read a manifest older than the last tsc build.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Plugin } from '@oclif/core';
import { packageRoot } from '../daemon/paths.js';

const cliManifestPath = join(packageRoot, 'oclif.manifest.json');

const plugin = new Plugin({ root: packageRoot, type: 'core', ignoreManifest: true, errorOnManifestCreate: true });
await plugin.load();
// By a rename: a CLI starting meanwhile reads the old manifest or the new one, never half of one.
const partial = `${cliManifestPath}.${process.pid}.part`;
writeFileSync(partial, `${JSON.stringify(plugin.manifest, null, 2)}\n`);
renameSync(partial, cliManifestPath);
console.log(`${cliManifestPath}: ${Object.keys(plugin.manifest.commands).length} commands`);
