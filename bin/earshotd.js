#!/usr/bin/env node
// The earshot daemon; all of its work is in dist/daemon/index.js (built by `npm run build`).
import { main } from '../dist/daemon/index.js';

process.exitCode = await main(process.argv.slice(2));
