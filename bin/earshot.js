#!/usr/bin/env node
// The earshot CLI: oclif finds its commands in dist/daemon/cli/commands (see package.json "oclif").
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
